import { Router } from 'express';
import cors from 'cors';
import type { Config } from './config.js';
import { createAccountApi } from './features/account/account.api.js';
import { createActivityApi } from './features/activity/activity.api.js';
import { createAuthApi } from './features/auth/auth.api.js';
import { createContactsApi } from './features/contacts/contacts.api.js';
import { createMessagesApi } from './features/messages/messages.api.js';
import { createUsersApi } from './features/users/users.api.js';
import { authenticateBearer } from './http/bearer.js';
import { refuseEncodedBodies } from './http/encoded-bodies.js';
import { jsonErrorHandler } from './http/error-handlers.js';
import { NotFound } from './errors.js';
import type { Logger } from './http/logger.js';
import { jsonSecurityHeaders } from './http/security-headers.js';
import type { Services } from './services.js';

export interface ApiDeps {
  config: Config;
  logger: Logger;
  services: Services;
}

const JSON_PREFIXES = ['/auth', '/api'];

/**
 * The JSON surface for the main app (/auth/*, /api/*): CORS for the main app's origins only,
 * the bearer token read once for every route, JSON errors. Other paths pass through to the panel.
 */
export function createApi(deps: ApiDeps): Router {
  const { config, services } = deps;
  const corsPolicy = cors({
    origin: config.mainAppOrigins,
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
    exposedHeaders: ['Idempotent-Replayed'],
    credentials: false,
    maxAge: 600,
  });
  const headers = jsonSecurityHeaders(config.isProduction);
  const surface = Router();
  // One layer for what every JSON request gets (a layer mounted at a path rewrites the URL on the way in and out).
  surface.use(JSON_PREFIXES, (req, res, next) => {
    headers(req, res, () => undefined);
    const refuseCompressed = (err?: unknown) => (err ? next(err) : refuseEncodedBodies(req, res, next));
    // Only browsers send Origin; the main app's server-side calls skip the CORS work entirely.
    if (req.headers.origin) return corsPolicy(req, res, refuseCompressed);
    refuseCompressed();
  });
  // Every route below names its action with `permit`, which decides on what this found.
  surface.use(JSON_PREFIXES, authenticateBearer(services.tokens));

  surface.use('/auth', createAuthApi({ tokens: services.tokens, loginRequestsPerMinute: config.throttle.apiRequestsPerMinute,
    recordRefusal: services.refusals.record, onValidate: services.metrics.validated }));
  surface.use('/auth', createAccountApi({ account: services.account }));
  surface.use('/api/users', createUsersApi({ users: services.users }));
  surface.use('/api/contacts', createContactsApi({ contacts: services.contacts }));
  surface.use('/api/messages', createMessagesApi({ messages: services.messages, defaultCountry: config.defaultCountry }));
  surface.use('/api/activity', createActivityApi({ activity: services.activity }));

  surface.use(JSON_PREFIXES, () => {
    throw new NotFound('Not found');
  });
  surface.use(jsonErrorHandler({ logger: deps.logger, recordRefusal: services.refusals.record }));
  return surface;
}
