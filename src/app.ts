import path from 'node:path';
import express, { type ErrorRequestHandler } from 'express';
import { createApi } from './api.js';
import { shedSignInsWhenSaturated } from './features/auth/auth.api.js';
import { mountProbes } from './features/health/health.routes.js';
import { reportShed } from './http/error-handlers.js';
import { describeError } from './errors.js';
import { requestContext } from './http/request-context.js';
import { securityHeaders } from './http/security-headers.js';
import { createPanel } from './panel.js';
import { projectRoot } from './paths.js';
import { createServices, type AppDeps, type Services } from './services.js';

export type { AppDeps } from './services.js';

/**
 * The whole service: request context, then the probes, the JSON surface for the main app
 * (api.ts: /auth, /api) and the browser surface for people (panel.ts: everything else).
 */
export function createApp(deps: AppDeps, services: Services = createServices(deps)) {
  const { config, logger } = deps;
  const root = projectRoot();
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('view engine', 'ejs');
  app.set('views', path.join(root, 'views'));
  app.set('env', config.isProduction ? 'production' : 'development');
  app.set('view cache', true);
  // Every response is no-store or static; ETags would only cost a hash per response.
  app.set('etag', false);

  app.use(shedSignInsWhenSaturated(() => reportShed(logger)));
  app.use(requestContext({ logger, logRequests: config.logRequests, trustsProxy: config.trustProxy !== false, observer: services.metrics }));

  mountProbes(app, { readiness: services.readiness, registry: services.metrics.registry, metricsToken: config.metricsToken,
    isProduction: config.isProduction, logger });
  // After the probes and the scrape: a load balancer polling /ready every second must not keep
  // the service from ever looking idle (the WAL checkpoint waits for idleness).
  if (deps.idle) app.use(deps.idle.track);
  app.use(createApi({ config, logger, services }));

  app.use(securityHeaders(config.isProduction));
  app.use(express.static(path.join(root, 'public'), { index: false, maxAge: '1h' }));
  app.use(createPanel({ config, logger, sessionStore: deps.sessionStore, services }));

  // Errors after a surface has answered (a session save failing at the end of a response).
  const lastResort: ErrorRequestHandler = (err, req, res, _next) => {
    const reply = describeError(err);
    if (reply.unexpected) logger.error('unhandled error outside a surface', { id: req.id, method: req.method, path: req.path, error: String((err as Error)?.message) });
    if (res.headersSent) return;
    if (reply.retryAfterSeconds) res.set('Retry-After', String(reply.retryAfterSeconds));
    res.status(reply.status).type('text').send(reply.unexpected ? 'Something went wrong' : reply.message);
  };
  app.use(lastResort);
  return app;
}
