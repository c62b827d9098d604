import { rateLimit } from 'express-rate-limit';
import type { Request, RequestHandler } from 'express';
import { TooManyRequests, type HttpError } from '../errors.js';
import { isSignInPath } from './login-csrf.js';
import type { RecordRefusal } from './refusals.js';

export interface RequestLimitOptions {
  perMinute: number;
  /** Labels its 429s in /metrics. */
  name: string;
  record: RecordRefusal;
  /** The refusal, told how many seconds until the window frees a place. */
  refuse: (retryAfterSeconds: number) => HttpError;
}

/**
 * A coarse per-IP cap, in memory, in front of the SQLite failure throttle: it bounds the argon2
 * work any one client can cause, failed or not. Each refusal is recorded and answered by the
 * surface's error handler from the error `refuse` makes.
 */
export function requestLimit(options: RequestLimitOptions): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: options.perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (req, res, next) => {
      const resetTime = (req as typeof req & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : 60;
      res.locals.limiter = options.name;
      options.record(req, res, 'rate_limit.refused', 429);
      next(options.refuse(seconds));
    },
  });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A per-IP panel limiter that refuses with a 429 error page, and the requests it applies to. */
interface PanelLimitDeps {
  perMinute: number;
  record: RecordRefusal;
}

function panelLimit({ perMinute, record }: PanelLimitDeps, name: string, appliesTo: (req: Request) => boolean): RequestHandler {
  const limiter = requestLimit({ perMinute, name, record,
    refuse: (seconds) => new TooManyRequests(`Too many requests from your address. Try again in ${seconds} seconds.`, seconds, name) });
  return (req, res, next) => (appliesTo(req) ? limiter(req, res, next) : next());
}

/**
 * The panel's per-IP cap on posts that no signed-in user is accountable for: sign-in attempts
 * (signed in or not) and every anonymous post, which can only be a sign-in or a forgery.
 */
export function anonymousPostLimit(deps: PanelLimitDeps): RequestHandler {
  return panelLimit(deps, 'panel_posts',
    (req) => !SAFE_METHODS.has(req.method) && (!req.currentUser || isSignInPath(req.path)));
}

/**
 * A generous per-IP cap on viewing the sign-in page: it stores nothing, but each view still
 * renders a page and signs a token, so one client cannot have it rendered without bound.
 */
export function loginPageLimit(deps: PanelLimitDeps): RequestHandler {
  return panelLimit(deps, 'login_page', (req) => isSignInPath(req.path) && SAFE_METHODS.has(req.method));
}
