import type { Express, RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { jsonErrorHandler } from '../../http/error-handlers.js';
import type { Logger } from '../../http/logger.js';
import { metricsHandler } from '../../http/metrics-route.js';
import { noteRouteTemplate } from '../../http/route-guard.js';
import { jsonSecurityHeaders } from '../../http/security-headers.js';
import type { createReadiness } from './readiness.js';

export interface ProbesDeps {
  readiness: ReturnType<typeof createReadiness>;
  registry: Registry;
  metricsToken: string | undefined;
  isProduction: boolean;
  logger: Logger;
}

/**
 * The probes, for machines rather than people: liveness, readiness and the Prometheus scrape.
 * They sit outside both surfaces and the permission table (/metrics checks its own credential),
 * as three routes of the app itself: every other request passes them at the cost of three path tests.
 */
export function mountProbes(app: Express, deps: ProbesDeps): void {
  const { readiness } = deps;
  const headers = jsonSecurityHeaders(deps.isProduction);
  // Refusals and failures here are for machines: answered as JSON, and not written to the activity log.
  const refusals = jsonErrorHandler({ logger: deps.logger });

  const health: RequestHandler = (req, res) => {
    noteRouteTemplate(req);
    res.json(readiness.alive() ? { status: 'healthy', service: 'security-backend' } : { status: 'unhealthy' });
  };
  app.get('/health', headers, health, refusals);

  const ready: RequestHandler = (req, res) => {
    noteRouteTemplate(req);
    const { ready, checks } = readiness.check();
    if (!ready) res.set('Retry-After', '5');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  };
  app.get('/ready', headers, ready, refusals);

  const scrape = metricsHandler(deps.registry, deps.metricsToken);
  const scrapeNoted: RequestHandler = (req, res, next) => {
    noteRouteTemplate(req);
    return scrape(req, res, next);
  };
  app.get('/metrics', scrapeNoted, refusals);
}
