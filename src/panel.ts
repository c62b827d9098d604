import express, { Router } from 'express';
import type session from 'express-session';
import { csrfSync } from 'csrf-sync';
import type { Config } from './config.js';
import { allows, type Action, type UserTarget } from './domain/permissions.js';
import { createAccountRoutes } from './features/account/account.routes.js';
import { createActivityRoutes } from './features/activity/activity.routes.js';
import { createAuthRoutes } from './features/auth/auth.routes.js';
import { createContactsRoutes } from './features/contacts/contacts.routes.js';
import { createDashboardRoutes } from './features/dashboard/dashboard.routes.js';
import { createMessagesRoutes } from './features/messages/messages.routes.js';
import { createUsersRoutes } from './features/users/users.routes.js';
import { refuseEncodedBodies } from './http/encoded-bodies.js';
import { htmlErrorHandler } from './http/error-handlers.js';
import { NotFound } from './errors.js';
import { exposeFlash } from './http/flash.js';
import type { Logger } from './http/logger.js';
import { createLoginCsrf, isSignInPath } from './http/login-csrf.js';
import { loadPanelUser, requirePasswordChange } from './http/panel-auth.js';
import { anonymousPostLimit, loginPageLimit } from './http/rate-limits.js';
import { refuseCrossSite } from './http/same-origin.js';
import { bodyString } from './http/schemas.js';
import { sessionMiddleware } from './http/session.js';
import type { Services } from './services.js';

export interface PanelDeps {
  config: Config;
  logger: Logger;
  sessionStore: session.Store;
  services: Services;
}

/** The browser surface: sessions, CSRF on every state change, HTML pages and errors. */
export function createPanel(deps: PanelDeps): Router {
  const { config, services } = deps;
  const { csrfSynchronisedProtection, generateToken } = csrfSync({
    getTokenFromRequest: (req) => bodyString(req.body, '_csrf') ?? req.headers['x-csrf-token'],
  });

  // The sign-in form is protected without a session (none is stored until someone signs in);
  // every form after sign-in keeps the session's synchroniser token.
  const loginCsrf = createLoginCsrf({ sessionSecret: config.sessionSecret, secure: config.session.secureCookie });
  const isSignInForm = (req: { path: string }) => isSignInPath(req.path);
  const recordRefusal = services.refusals.record;

  const panel = Router();
  panel.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  panel.use(sessionMiddleware({ config, store: deps.sessionStore }));
  // View locals come before anything that can fail, so error pages render in the layout.
  panel.use(exposeFlash);
  panel.use((req, res, next) => {
    // A function, so a token (and, after sign-in, a session) is made only for pages that show a form.
    res.locals.csrfToken = () => (isSignInForm(req) ? loginCsrf.token(req, res) : generateToken(req));
    res.locals.currentPath = req.path;
    // What views may show is what the permission table allows the signed-in user.
    res.locals.can = (action: Action, target?: UserTarget) => allows(req.currentUser, action, target);
    next();
  });
  panel.use(loginPageLimit({ perMinute: config.throttle.pageRequestsPerMinute, record: recordRefusal }));
  panel.use(refuseCrossSite);
  panel.use(refuseEncodedBodies);
  panel.use(express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 50 }));
  panel.use(loadPanelUser({ accounts: services.accounts, absoluteHours: config.session.absoluteHours, clock: services.clock }));
  // Before CSRF, so that a flood of forged or anonymous posts is cut off after its first minute's worth.
  panel.use(anonymousPostLimit({ perMinute: config.throttle.requestsPerMinute, record: recordRefusal }));
  panel.use((req, res, next) => (isSignInForm(req) ? loginCsrf.protect : csrfSynchronisedProtection)(req, res, next));
  panel.use(requirePasswordChange);

  const cookie = { name: config.session.cookieName, secure: config.session.secureCookie };
  panel.use(createAuthRoutes({ signIn: services.signIn, cookie, clock: services.clock }));
  panel.use(createAccountRoutes({ account: services.account, clock: services.clock }));
  panel.use(createUsersRoutes({ users: services.users, activity: services.activity }));
  panel.use(createContactsRoutes({ contacts: services.contacts }));
  panel.use(createMessagesRoutes({ messages: services.messages, users: services.users }));
  panel.use(createActivityRoutes({ activity: services.activity, users: services.users }));
  panel.use(createDashboardRoutes({ dashboard: services.dashboard }));

  panel.use(() => {
    throw new NotFound('There is no page at this address.');
  });
  panel.use(htmlErrorHandler({ logger: deps.logger, recordRefusal }));
  return panel;
}
