import type { Request, RequestHandler } from 'express';
import { UnsupportedEncoding } from '../errors.js';

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
