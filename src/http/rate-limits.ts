import { rateLimit } from 'express-rate-limit';
import type { RequestHandler } from 'express';
import type { RecordRefusal } from './refusals.js';

/**
 * A coarse per-IP cap on login requests, in memory, in front of the SQLite failure throttle:
 * it bounds the argon2 work any one client can cause, failed or not.
 */
export function loginRequestLimit(perMinute: number, onLimit: RequestHandler, record?: RecordRefusal): RequestHandler {
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
      record?.(req, res, 'rate_limit.refused', 429);
      return onLimit(req, res, next);
    },
  });
}
