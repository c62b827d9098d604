import type { RequestHandler } from 'express';
import { HttpError } from '../errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class CrossSiteRequest extends HttpError {
  constructor() {
    super(403, 'This request came from another site and was refused.', { code: 'cross_site' });
  }
}

/**
 * Defence in depth beside the synchronizer token: a browser says where an unsafe request came
 * from (Origin; Sec-Fetch-Site in every current browser), and a page of another site, a
 * sandboxed frame (`Origin: null`) or a cross-site navigation is refused before its body,
 * its session's user or its token is looked at. Clients that send neither header (scripts, old browsers) still need the token.
 */
export const refuseCrossSite: RequestHandler = (req, _res, next) => {
  if (SAFE_METHODS.has(req.method)) return next();
  if (req.get('sec-fetch-site') === 'cross-site') throw new CrossSiteRequest();
  const origin = req.get('origin');
  if (origin !== undefined && !isOwnOrigin(origin, req.host)) throw new CrossSiteRequest();
  next();
};

function isOwnOrigin(origin: string, host: string | undefined): boolean {
  if (origin === 'null' || !host) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.host === host;
  } catch {
    return false;
  }
}
