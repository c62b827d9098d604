import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { parse as parseCookies } from 'cookie';
import { doubleCsrf } from 'csrf-csrf';
import { bodyString } from './schemas.js';

/** The sign-in page's path as the router matches it: any case, with or without a trailing slash. */
export const isSignInPath = (path: string): boolean => /^\/login\/?$/i.test(path);

export interface LoginCsrf {
  /** The token for the sign-in form; sets (or reuses) its cookie. No session is stored. */
  token(req: Request, res: Response): string;
  /** Refuses a state-changing request whose form token and cookie do not match (EBADCSRFTOKEN, 403). */
  protect: RequestHandler;
}

/**
 * The key that signs the sign-in form's tokens: HKDF-SHA256 from SESSION_SECRET under its own
 * label, independent of the session cookie's signature and of the activity chain's key.
 */
export function deriveLoginCsrfKey(sessionSecret: string): string {
  return Buffer.from(crypto.hkdfSync('sha256', sessionSecret, 'nexus-security', 'login form csrf v1', 32)).toString('hex');
}

/**
 * CSRF protection for the sign-in form without a stored session: csrf-csrf's signed double
 * submit (an HMAC'd random value, in an HttpOnly cookie and in the form, that must match). A
 * stored anonymous session for every visit to /login cost ~550 bytes each; this costs nothing.
 * There is no session to bind the token to, so it is bound to the form's purpose; a forger can
 * neither read the cookie (HttpOnly, SameSite=Strict) nor, in production, plant one (`__Host-`).
 */
export function createLoginCsrf(options: { sessionSecret: string; secure: boolean }): LoginCsrf {
  const cookieName = options.secure ? '__Host-nexus.login-csrf' : 'nexus.login-csrf';
  const key = deriveLoginCsrfKey(options.sessionSecret);
  const { generateCsrfToken, doubleCsrfProtection } = doubleCsrf({
    getSecret: () => key,
    getSessionIdentifier: () => 'panel sign-in form',
    cookieName,
    cookieOptions: { httpOnly: true, sameSite: 'strict', secure: options.secure, path: '/' },
    getCsrfTokenFromRequest: (req) => {
      return bodyString(req.body, '_csrf') ?? req.headers['x-csrf-token'];
    },
  });
  // csrf-csrf reads req.cookies, which only cookie-parser would fill: the header is parsed here
  // with the same `cookie` library, for the sign-in form alone.
  const readCookie = (req: Request) => {
    req.cookies ??= parseCookies(req.headers.cookie ?? '');
  };
  return {
    token: (req, res) => {
      readCookie(req);
      return generateCsrfToken(req, res);
    },
    protect: (req, res, next) => {
      readCookie(req);
      doubleCsrfProtection(req, res, next);
    },
  };
}
