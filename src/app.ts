import path from 'node:path';
import express, { type ErrorRequestHandler } from 'express';
import type session from 'express-session';
import { createApi } from './api.js';
import type { Config } from './config.js';
import type { Db } from './db.js';
import { createEventsRepo } from './features/activity/activity.log.js';
import { createActivityService } from './features/activity/activity.service.js';
import { shedSignInsWhenSaturated } from './features/auth/auth.api.js';
import { createAuthService } from './features/auth/auth.service.js';
import { createTokenAuthService } from './features/auth/token-auth.service.js';
import { createTokenLoginsRepo } from './features/auth/token-logins.repo.js';
import { createTokenSigner } from './features/auth/tokens.js';
import { createContactsService } from './features/contacts/contacts.service.js';
import { createMessagesService } from './features/messages/messages.service.js';
import { createPasswordAttempts } from './features/auth/password-attempts.js';
import { createThrottle } from './features/auth/throttle.js';
import { readBackupStatus } from './features/backups/backup.status.js';
import { createReadiness } from './features/health/readiness.js';
import { createUserManagement } from './features/users/users.manage.js';
import { createUsersService } from './features/users/users.service.js';
import { allow } from './http/panel-auth.js';
import { reportShed } from './http/error-handlers.js';
import { describeError } from './http/errors.js';
import type { IdleTracker } from './http/idle-tracker.js';
import type { Logger } from './http/logger.js';
import { createMetrics } from './http/metrics.js';
import { metricsHandler } from './http/metrics-route.js';
import { createRefusalRecorder } from './http/refusals.js';
import { requestContext } from './http/request-context.js';
import { jsonSecurityHeaders, securityHeaders } from './http/security-headers.js';
import { createPanel } from './panel.js';
import { projectRoot } from './paths.js';

export interface AppDeps {
  config: Config;
  db: Db;
  /**
   * A second connection to the same file for contacts and message logs, at the data
   * durability level (NORMAL by default); security state stays on `db` (FULL).
   */
  dataDb?: Db;
  sessionStore: session.Store;
  logger: Logger;
  clock?: () => number;
  /** Told of every request, so maintenance can tell when the service is idle. */
  idle?: IdleTracker;
}

export function createServices(deps: AppDeps) {
  const { config, db } = deps;
  const metrics = createMetrics({ backupStatus: () => readBackupStatus(config.backups.dir), clock: deps.clock });
  const events = createEventsRepo(db, config.activity, deps.clock, metrics);
  const throttle = createThrottle(db, config.throttle, config.sessionSecret, deps.clock, metrics.lockedOut);
  const attemptPassword = createPasswordAttempts(throttle);
  const users = createUsersService(db, { passwordRequireClasses: config.passwordRequireClasses, events, attemptPassword });
  const auth = createAuthService(db, users.repo, attemptPassword, events);
  const signer = createTokenSigner(config.jwtSecret, deps.clock);
  const tokens = createTokenAuthService({ db, auth, users, signer, events, settings: config.tokens, clock: deps.clock });
  const manage = createUserManagement(db, events, { passwordRequireClasses: config.passwordRequireClasses, liveLogins: createTokenLoginsRepo(db).listLive });
  // Their events are written through their own connection, inside their own transactions.
  const dataDb = deps.dataDb ?? db;
  const dataEvents = createEventsRepo(dataDb, config.activity, deps.clock, metrics);
  const contacts = createContactsService(dataDb, users.repo, dataEvents, { defaultCountry: config.defaultCountry }, deps.clock);
  const messages = createMessagesService(dataDb, users.repo, dataEvents, { quotas: config.quotas, defaultCountry: config.defaultCountry }, deps.clock);
  const activity = createActivityService(db, events, config.activity.retentionDays, deps.clock);
  const refusals = createRefusalRecorder(events, deps.clock);
  return { users, throttle, events, auth, tokens, manage, contacts, messages, activity, refusals, metrics };
}

export function createApp(deps: AppDeps, services = createServices(deps)) {
  const { config, db, logger } = deps;
  const root = projectRoot();
  const recordRefusal = services.refusals.record;
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

  const ping = db.prepare('SELECT 1 AS ok');
  app.get('/health', jsonSecurityHeaders(config.isProduction), allow('health.read'), (_req, res) => {
    res.json(ping.get() ? { status: 'healthy', service: 'security-backend' } : { status: 'unhealthy' });
  });
  const readiness = createReadiness(db, { dataDir: config.dataDir, diskMinFreeBytes: config.diskMinFreeBytes }, deps.clock);
  app.get('/ready', jsonSecurityHeaders(config.isProduction), allow('health.read'), (_req, res) => {
    const { ready, checks } = readiness.check();
    if (!ready) res.set('Retry-After', '5');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  app.get('/metrics', allow('metrics.read'), metricsHandler(services.metrics.registry, config.metricsToken));
  // After the probes and the scrape: a load balancer polling /ready every second must not keep
  // the service from ever looking idle (the WAL checkpoint waits for idleness).
  if (deps.idle) app.use(deps.idle.track);
  app.use(createApi({ logger, tokens: services.tokens, manage: services.manage, contacts: services.contacts, messages: services.messages, activity: services.activity, allowedOrigins: config.mainAppOrigins,
    apiLoginRequestsPerMinute: config.throttle.apiRequestsPerMinute, isProduction: config.isProduction, recordRefusal, metrics: services.metrics }));

  app.use(securityHeaders(config.isProduction));
  app.use(express.static(path.join(root, 'public'), { index: false, maxAge: '1h' }));
  app.use(createPanel({ ...deps, ...services, recordRefusal }));

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
