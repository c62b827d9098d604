import helmet from 'helmet';
import type { RequestHandler } from 'express';

/** Strict CSP: every script and style comes from /public; nothing inline, nothing third-party. */
export function securityHeaders(isProduction: boolean): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        ...(isProduction ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: isProduction ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    // Not no-referrer: under it a browser sends `Origin: null` with our own form posts, which
    // then cannot be told from a sandboxed frame's (see same-origin.ts). Other sites still get nothing.
    referrerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
}

/**
 * The JSON surface serves data to the main app, never pages: it needs no CSP sources, frame
 * or DNS-prefetch policy, only headers that stop a browser from treating JSON as anything
 * else. Four headers instead of helmet's twelve keep /auth/validate fast.
 */
export function jsonSecurityHeaders(isProduction: boolean): RequestHandler {
  const headers: Array<[string, string]> = [
    ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
    ['X-Content-Type-Options', 'nosniff'],
    ['Referrer-Policy', 'no-referrer'],
    ['Cache-Control', 'no-store'],
  ];
  if (isProduction) headers.push(['Strict-Transport-Security', 'max-age=31536000; includeSubDomains']);
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
