import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from './logger.js';

/**
 * Gives each request an id (echoed as X-Request-Id, shown on error pages) and logs one line when
 * it finishes. Only the path is logged: query strings, headers and bodies may carry secrets.
 */
export function requestContext(logger: Logger, logRequests: boolean): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    req.id = crypto.randomUUID();
    const path = req.originalUrl.split('?', 1)[0];
    res.setHeader('X-Request-Id', req.id);
    if (logRequests) {
      res.on('finish', () => {
        logger.info('request', {
          id: req.id,
          method: req.method,
          path,
          status: res.statusCode,
          ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
          ip: req.ip,
          user: req.currentUser?.id,
        });
      });
    }
    next();
  };
}
