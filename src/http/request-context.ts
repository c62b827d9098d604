import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from './logger.js';

/** What the request hook reports to, besides the log (the metrics' request histogram). */
export interface RequestObserver {
  observeRequest(req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1], seconds: number, route: string | null): void;
}

/**
 * Gives each request an id (echoed as X-Request-Id, shown on error pages) and, when it has
 * finished, logs one line through the logger's pino instance and reports it to the observer.
 * Only the path is logged: query strings, headers and bodies may carry secrets.
 */
export function requestContext(deps: { logger: Logger; logRequests: boolean; trustsProxy: boolean; observer?: RequestObserver }): RequestHandler {
  const { logger, logRequests, trustsProxy, observer } = deps;
  const log = logger.pino ?? null;
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    req.id = crypto.randomUUID();
    res.setHeader('X-Request-Id', req.id);
    res.on('finish', () => {
      const ms = Number((process.hrtime.bigint() - started) / 1000n) / 1000;
      observer?.observeRequest(req, res, ms / 1000, req.routeTemplate ?? null);
      if (!logRequests) return;
      // Without a trusted proxy req.ip is the socket's address, reached without parsing X-Forwarded-For.
      const line = { id: req.id, method: req.method, path: req.originalUrl.split('?', 1)[0], status: res.statusCode, ms,
        ip: trustsProxy ? req.ip : req.socket.remoteAddress, user: req.currentUser?.id };
      // Straight to pino (one object, no copy); the same fields through the interface otherwise.
      if (log) log.info(line, 'request');
      else logger.info('request', line);
    });
    next();
  };
}
