import { Router } from 'express';
import cors from 'cors';
import { createActivityApi } from './features/activity/activity.api.js';
import type { ActivityService } from './features/activity/activity.service.js';
import { createAuthApi } from './features/auth/auth.api.js';
import type { TokenAuthService } from './features/auth/token-auth.service.js';
import { createContactsApi } from './features/contacts/contacts.api.js';
import type { ContactsService } from './features/contacts/contacts.service.js';
import { createMessagesApi } from './features/messages/messages.api.js';
import type { MessagesService } from './features/messages/messages.service.js';
import { createUsersApi } from './features/users/users.api.js';
import type { UserManagement } from './features/users/users.manage.js';
import { jsonErrorHandler } from './http/error-handlers.js';
import { NotFound } from './http/errors.js';
import type { Logger } from './http/logger.js';
import type { Metrics } from './http/metrics.js';
import type { RecordRefusal } from './http/refusals.js';
import { refuseEncodedBodies } from './http/encoded-bodies.js';
import { jsonSecurityHeaders } from './http/security-headers.js';

export interface ApiDeps {
  logger: Logger;
  tokens: TokenAuthService;
  manage: UserManagement;
  contacts: ContactsService;
  messages: MessagesService;
  activity: ActivityService;
  allowedOrigins: string[];
  apiLoginRequestsPerMinute: number;
  isProduction: boolean;
  recordRefusal: RecordRefusal;
  metrics?: Metrics;
}

const JSON_PREFIXES = ['/auth', '/api'];

/**
 * The JSON surface for the main app (/auth/*, /api/*): bearer tokens, CORS for the main
 * app's origins only, JSON errors. Other paths pass through to the panel.
 */
export function createApi(deps: ApiDeps): Router {
  const corsPolicy = cors({
    origin: deps.allowedOrigins,
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
    exposedHeaders: ['Idempotent-Replayed'],
    credentials: false,
    maxAge: 600,
  });
  const headers = jsonSecurityHeaders(deps.isProduction);
  const surface = Router();
  surface.use(JSON_PREFIXES, (req, res, next) => {
    headers(req, res, () => undefined);
    // Only browsers send Origin; the main app's server-side calls skip the CORS work entirely.
    if (req.headers.origin) return corsPolicy(req, res, next);
    next();
  });
  surface.use(JSON_PREFIXES, refuseEncodedBodies);
  surface.use('/auth', createAuthApi(deps.tokens, deps.apiLoginRequestsPerMinute, deps.recordRefusal, deps.metrics?.validated));
  surface.use('/api/users', createUsersApi(deps.manage, deps.tokens));
  surface.use('/api/contacts', createContactsApi(deps.contacts, deps.tokens));
  surface.use('/api/messages', createMessagesApi(deps.messages, deps.tokens));
  surface.use('/api/activity', createActivityApi(deps.activity, deps.tokens));
  surface.use(JSON_PREFIXES, () => {
    throw new NotFound('Not found');
  });
  surface.use(jsonErrorHandler(deps.logger, deps.recordRefusal));
  return surface;
}
