import crypto from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { UnsupportedEncoding } from './errors.js';
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

/** Whether the request frames a body at all: the same test body-parser applies. */
const hasBody = (req: Request) => req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;

/**
 * Neither the main app nor a browser compresses request bodies, so a body with any
 * Content-Encoding but identity is refused (415, and Accept-Encoding: identity as RFC 7694 asks)
 * before a parser would inflate it: no decompressor is exposed to hostile input, and every route
 * answers alike, whether or not it parses a body. Mounted by each surface, ahead of its parsers.
 */
export const refuseEncodedBodies: RequestHandler = (req, res, next) => {
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity' || !hasBody(req)) return next();
  res.set('Accept-Encoding', 'identity');
  next(new UnsupportedEncoding());
};
