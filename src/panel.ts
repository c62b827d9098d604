import express, { Router } from 'express';
import type session from 'express-session';
import { csrfSync } from 'csrf-sync';
import type { Config } from './config.js';
import type { Db } from './db.js';
import { createAccountRoutes } from './features/account/account.routes.js';
import type { AuthService } from './features/auth/auth.service.js';
import { createAuthRoutes } from './features/auth/auth.routes.js';
import { createActivityRoutes } from './features/activity/activity.routes.js';
import type { ActivityService } from './features/activity/activity.service.js';
import { createContactsRoutes } from './features/contacts/contacts.routes.js';
import type { ContactsService } from './features/contacts/contacts.service.js';
import { createDashboardRoutes } from './features/dashboard/dashboard.routes.js';
import { createMessagesRoutes } from './features/messages/messages.routes.js';
import type { MessagesService } from './features/messages/messages.service.js';
import type { UserManagement } from './features/users/users.manage.js';
import { createUsersRoutes } from './features/users/users.routes.js';
import type { UsersService } from './features/users/users.service.js';
import { htmlErrorHandler } from './http/error-handlers.js';
import { NotFound } from './http/errors.js';
import { exposeFlash } from './http/flash.js';
import type { Logger } from './http/logger.js';
import { loadPanelUser, requirePasswordChange } from './http/panel-auth.js';
import type { RecordRefusal } from './http/refusals.js';
import { refuseEncodedBodies } from './http/encoded-bodies.js';
import { createLoginCsrf, isSignInPath } from './http/login-csrf.js';
import { anonymousPostLimit, loginPageLimit } from './http/rate-limits.js';
import { refuseCrossSite } from './http/same-origin.js';
import { sessionMiddleware } from './http/session.js';

export interface PanelDeps {
  config: Config;
  db: Db;
  logger: Logger;
  sessionStore: session.Store;
  clock?: () => number;
  recordRefusal: RecordRefusal;
  users: UsersService;
  manage: UserManagement;
  contacts: ContactsService;
  messages: MessagesService;
  activity: ActivityService;
  auth: AuthService;
}

/** The browser surface: sessions, CSRF on every state change, HTML pages and errors. */
export function createPanel(deps: PanelDeps): Router {
  const { config } = deps;
  const { csrfSynchronisedProtection, generateToken } = csrfSync({
    getTokenFromRequest: (req) => {
      const fromBody: unknown = req.body?._csrf;
      return typeof fromBody === 'string' ? fromBody : (req.headers['x-csrf-token'] as string | undefined);
    },
  });

  // The sign-in form is protected without a session (none is stored until someone signs in);
  // every form after sign-in keeps the session's synchroniser token.
  const loginCsrf = createLoginCsrf({ sessionSecret: config.sessionSecret, secure: config.session.secureCookie });
  const isSignInForm = (req: { path: string }) => isSignInPath(req.path);

  const panel = Router();
  panel.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  panel.use(sessionMiddleware(config, deps.sessionStore));
  // View locals come before anything that can fail, so error pages render in the layout.
  panel.use(exposeFlash);
  panel.use((req, res, next) => {
    // A function, so a token (and, after sign-in, a session) is made only for pages that show a form.
    res.locals.csrfToken = () => (isSignInForm(req) ? loginCsrf.token(req, res) : generateToken(req));
    res.locals.currentPath = req.path;
    next();
  });
  panel.use(loginPageLimit(config.throttle.pageRequestsPerMinute, deps.recordRefusal));
  panel.use(refuseCrossSite);
  panel.use(refuseEncodedBodies);
  panel.use(express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 50 }));
  panel.use(loadPanelUser(deps.users.repo, config.session.absoluteHours, deps.clock));
  // Before CSRF, so that a flood of forged or anonymous posts is cut off after its first minute's worth.
  panel.use(anonymousPostLimit(config.throttle.requestsPerMinute, deps.recordRefusal));
  panel.use((req, res, next) => (isSignInForm(req) ? loginCsrf.protect : csrfSynchronisedProtection)(req, res, next));
  panel.use(requirePasswordChange);

  panel.use(createAuthRoutes(deps.auth, { cookie: { name: config.session.cookieName, secure: config.session.secureCookie }, clock: deps.clock }));
  panel.use(createAccountRoutes(deps.users, deps.clock));
  panel.use(createUsersRoutes(deps.manage, deps.activity));
  panel.use(createContactsRoutes(deps.contacts));
  panel.use(createMessagesRoutes(deps.messages, deps.manage));
  panel.use(createActivityRoutes(deps.activity));
  panel.use(createDashboardRoutes(deps));

  panel.use(() => {
    throw new NotFound('There is no page at this address.');
  });
  panel.use(htmlErrorHandler(deps.logger, deps.recordRefusal));
  return panel;
}
