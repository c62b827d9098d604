import type { Request, RequestHandler, Response } from 'express';
import { audienceOf, can, type Action } from '../domain/permissions.js';
import { InvalidToken, type AccessTokenVerifier, type ActorContext, type TokenPrincipal } from '../domain/principal.js';
import { Forbidden, PasswordChangeRequired, TokenRefused } from '../errors.js';
import { namesAction, noteRouteTemplate } from './route-guard.js';

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;

/** The token from `Authorization: Bearer …` (the only place tokens are read from). */
export function bearerToken(req: Request): string {
  const header = req.get('authorization');
  if (!header) throw new InvalidToken('Missing bearer token');
  const match = BEARER.exec(header.trim());
  if (!match) throw new InvalidToken('Malformed bearer token');
  return match[1]!;
}

/**
 * The API's authentication, mounted once in front of every JSON route: the caller behind a live
 * access token (login not revoked, user active, role as stored now), or the InvalidToken saying
 * why there is none. It refuses nothing itself: each route's `permit` decides, so an unknown
 * path is still a 404 and a sign-in needs no token.
 */
export function authenticateBearer(tokens: AccessTokenVerifier): RequestHandler {
  return async (req, res, next) => {
    try {
      res.locals.tokenCaller = await tokens.authenticateAccess(bearerToken(req));
    } catch (err) {
      if (!(err instanceof InvalidToken)) throw err;
      res.locals.tokenCaller = err;
    }
    next();
  };
}

/** What authenticateBearer found: the caller, or why there is none. */
export const tokenCaller = (res: Response): TokenPrincipal | InvalidToken => res.locals.tokenCaller as TokenPrincipal | InvalidToken;

export function principalOf(res: Response): TokenPrincipal {
  return res.locals.principal as TokenPrincipal;
}

// A one-time or reset password signs in, but until it is changed it opens nothing else.
const USABLE_BEFORE_PASSWORD_CHANGE: ReadonlySet<Action> = new Set(['account.changeOwnPassword', 'session.logout']);

/**
 * The API route guard: names the action the route performs, which the permission table must
 * allow the authenticated caller, who becomes the request's principal (the actor of its changes
 * and of its refusals in the activity log). Actions open to anyone (sign-in, validation) only
 * note the route: their credential is the request itself, and a token sent along makes nobody
 * accountable for them.
 */
export function permit(action: Action): RequestHandler {
  const audience = audienceOf(action);
  return namesAction(action, (req, res, next) => {
    noteRouteTemplate(req);
    if (audience === 'anyone') return next();
    const caller = tokenCaller(res);
    if (caller instanceof InvalidToken) throw new TokenRefused(caller.message);
    res.locals.principal = caller;
    if (caller.mustChangePassword && !USABLE_BEFORE_PASSWORD_CHANGE.has(action)) throw new PasswordChangeRequired();
    if (!can(caller, action)) throw new Forbidden('You do not have permission to do that');
    next();
  });
}

/** The token's user as the actor of a change, with where the request came from. */
export function actorFromToken(req: Request, res: Response): ActorContext {
  const p = principalOf(res);
  return { id: p.userId, username: p.username, role: p.role, isOwner: p.isOwner, loginRef: p.loginId, channel: 'api',
    ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null };
}
