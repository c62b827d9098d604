import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { can, type Action } from '../domain/permissions.js';
import { noteRouteTemplate } from './route-template.js';

import { BadRequest, Forbidden, HttpError, PasswordChangeRequired } from './errors.js';
import { InvalidToken, type AccessTokenVerifier, type ActorContext, type TokenPrincipal } from '../domain/principal.js';

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;

/** The token from `Authorization: Bearer …` (the only place tokens are read from). */
export function bearerToken(req: Request): string {
  const header = req.get('authorization');
  if (!header) throw new InvalidToken('Missing bearer token');
  const match = BEARER.exec(header.trim());
  if (!match) throw new InvalidToken('Malformed bearer token');
  return match[1]!;
}

export class TokenRefused extends HttpError {
  constructor(message: string) {
    super(401, message, { code: 'invalid_token' });
  }
}

export function setTokenChallenge(res: Response): void {
  res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
}

export function principalOf(res: Response): TokenPrincipal {
  return res.locals.principal as TokenPrincipal;
}

// A one-time or reset password signs in, but until it is changed it opens nothing else.
const USABLE_BEFORE_PASSWORD_CHANGE: ReadonlySet<Action> = new Set(['account.changeOwnPassword', 'session.logout']);

/**
 * The API guard: a live access token (login not revoked, user active, role as stored now)
 * and the permission table's yes for the action.
 */
export function allowBearer(tokens: AccessTokenVerifier, action: Action): RequestHandler {
  return async (req, res, next) => {
    noteRouteTemplate(req);
    let principal: TokenPrincipal;
    try {
      principal = await tokens.authenticateAccess(bearerToken(req));
    } catch (err) {
      if (!(err instanceof InvalidToken)) throw err;
      setTokenChallenge(res);
      throw new TokenRefused(err.message);
    }
    res.locals.principal = principal;
    if (principal.mustChangePassword && !USABLE_BEFORE_PASSWORD_CHANGE.has(action)) throw new PasswordChangeRequired();
    if (!can(principal, action)) throw new Forbidden('You do not have permission to do that');
    next();
  };
}

/** The token's user as the actor of a change, with where the request came from. */
export function actorFromToken(req: Request, res: Response): ActorContext {
  const p = principalOf(res);
  return { id: p.userId, username: p.username, role: p.role, isOwner: p.isOwner, loginRef: p.loginId,
    ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null };
}

/** Parses API input; the first problem answers 400 naming its field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.code === 'unrecognized_keys' ? issue.keys[0]! : issue.path.map(String).join('.') || 'body';
    throw new BadRequest(issue.message, { [field]: issue.message });
  }
  return parsed.data;
}
