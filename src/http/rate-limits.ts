import { rateLimit } from 'express-rate-limit';
import type { RequestHandler } from 'express';
import { TooManyRequests } from './errors.js';
import type { RecordRefusal } from './refusals.js';

/**
 * A coarse per-IP cap on login requests, in memory, in front of the SQLite failure throttle:
 * it bounds the argon2 work any one client can cause, failed or not. `name` labels its 429s in /metrics.
 */
export function loginRequestLimit(perMinute: number, onLimit: RequestHandler, record?: RecordRefusal, name = 'login_requests'): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (req, res, next) => {
      const resetTime = (req as typeof req & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : 60;
      res.set('Retry-After', String(seconds));
      res.locals.retryAfterSeconds = seconds;
      res.locals.limiter = name;
      record?.(req, res, 'rate_limit.refused', 429);
      return onLimit(req, res, next);
    },
  });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The panel's per-IP cap on posts that no signed-in user is accountable for: sign-in attempts
 * (signed in or not) and every anonymous post, which can only be a sign-in or a forgery.
 */
export function anonymousPostLimit(perMinute: number, record: RecordRefusal): RequestHandler {
  const limiter = loginRequestLimit(perMinute, (_req, res, next) => {
    const seconds = res.locals.retryAfterSeconds as number;
    next(new TooManyRequests(`Too many requests from your address. Try again in ${seconds} seconds.`, seconds, 'panel_posts'));
  }, record, 'panel_posts');
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method) || (req.currentUser && req.path !== '/login')) return next();
    return limiter(req, res, next);
  };
}

/**
 * A generous per-IP cap on viewing the sign-in page: it stores nothing, but each view still
 * renders a page and signs a token, so one client cannot have it rendered without bound.
 */
export function loginPageLimit(perMinute: number, record: RecordRefusal): RequestHandler {
  const limiter = loginRequestLimit(perMinute, (_req, res, next) => {
    const seconds = res.locals.retryAfterSeconds as number;
    next(new TooManyRequests(`Too many requests from your address. Try again in ${seconds} seconds.`, seconds, 'login_page'));
  }, record, 'login_page');
  return (req, res, next) => {
    if (req.path !== '/login' || !SAFE_METHODS.has(req.method)) return next();
    return limiter(req, res, next);
  };
}
