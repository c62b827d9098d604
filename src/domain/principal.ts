import type { Actor } from './permissions.js';
import type { Role } from './roles.js';

/** Who acts, and from where: every change is recorded with it. */
export interface ActorContext extends Actor {
  username: string;
  /** The surface the request came through: the console's session or the main app's token. */
  channel: 'panel' | 'api';
  ip?: string | null;
  userAgent?: string | null;
  loginRef?: string | null;
}

/** The caller behind a live access token, with username and role as the database has them now. */
export interface TokenPrincipal {
  userId: number;
  username: string;
  role: Role;
  isOwner: boolean;
  /** A one-time or reset password is still in use: only a password change is allowed. */
  mustChangePassword: boolean;
  loginId: string;
  exp: number;
  createdAt: string;
}

/** A token that is missing, malformed, expired, revoked or not this service's. */
export class InvalidToken extends Error {}

/** What the API's bearer guard needs from sign-in: a live principal for an access token, or InvalidToken. */
export interface AccessTokenVerifier {
  authenticateAccess(token: string): Promise<TokenPrincipal>;
}
