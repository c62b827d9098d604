import crypto from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Clock } from '../../clock.js';
import { InvalidToken } from '../../domain/principal.js';
import type { Role } from '../../domain/roles.js';

export type TokenType = 'access' | 'refresh';

export interface TokenClaims {
  userId: number;
  username: string;
  role: Role;
  type: TokenType;
  loginId: string;
  jti: string;
  exp: number;
}

export interface IssuedToken {
  token: string;
  jti: string;
  expiresAt: Date;
}

// The main app validates the same access token on every request it serves, so a token whose
// signature jose has verified is remembered until it expires. Revocation is unaffected: the
// login and the user are still read from the database on every request.
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * HS256 JWTs with the original service's claims (sub, username, role, type, jti, iat, nbf,
 * exp) plus `sid`, the token login they belong to. The key is imported once as a CryptoKey:
 * handing jose raw bytes would re-import it on every call.
 */
export function createTokenSigner(deps: { secret: string; clock: Clock }) {
  const { secret, clock } = deps;
  const key = crypto.webcrypto.subtle.importKey('raw', Buffer.from(secret, 'utf8'),
    { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);

  async function sign(claims: Omit<TokenClaims, 'jti' | 'exp'>, lifetimeSeconds: number): Promise<IssuedToken> {
    const now = Math.floor(clock() / 1000);
    const jti = crypto.randomUUID();
    const token = await new SignJWT({ username: claims.username, role: claims.role, type: claims.type, sid: claims.loginId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(claims.userId))
      .setJti(jti)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + lifetimeSeconds)
      .sign(await key);
    return { token, jti, expiresAt: new Date((now + lifetimeSeconds) * 1000) };
  }

  const verified = new Map<string, TokenClaims>();

  /** Verifies signature, algorithm, times and shape; throws InvalidToken with a safe message. */
  async function verify(token: string, expected: TokenType): Promise<TokenClaims> {
    const cached = verified.get(token);
    if (cached && cached.type === expected && cached.exp * 1000 > clock()) return cached;
    const claims = await verifyWithJose(token, expected);
    if (expected === 'access') {
      if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
      verified.set(token, claims);
    }
    return claims;
  }

  async function verifyWithJose(token: string, expected: TokenType): Promise<TokenClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await key, {
        algorithms: ['HS256'],
        requiredClaims: ['sub', 'jti', 'iat', 'nbf', 'exp'],
        currentDate: new Date(clock()),
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new InvalidToken('Token has expired');
      throw new InvalidToken('Invalid token');
    }
    const { sub, username, role, type, sid, jti, exp } = payload as JWTPayload & Record<string, unknown>;
    if (type !== expected) throw new InvalidToken(`Not an ${expected} token`.replace('an refresh', 'a refresh'));
    const userId = Number(sub);
    if (!Number.isSafeInteger(userId) || typeof sid !== 'string' || typeof jti !== 'string' || typeof username !== 'string') {
      throw new InvalidToken('Invalid token');
    }
    return { userId, username, role: role as Role, type: expected, loginId: sid, jti, exp: exp! };
  }

  return { sign, verify };
}

export type TokenSigner = ReturnType<typeof createTokenSigner>;
