import { Router, type Response } from 'express';
import { allow } from '../../http/panel-auth.js';
import { sessionRef } from '../../http/refusals.js';
import { destroySession, regenerateSession } from '../../http/session.js';
import type { AuthService } from './auth.service.js';
import { loginFormSchema } from './auth.schemas.js';
import { fieldErrors } from '../../http/schemas.js';

const INVALID = 'Invalid username or password.';

interface LoginView {
  username?: string;
  errors?: Record<string, string>;
  message?: string;
  notice?: string;
}

function renderLogin(res: Response, status: number, view: LoginView = {}) {
  res.status(status).render('auth/login', {
    title: 'Sign in', username: view.username ?? '', errors: view.errors ?? {},
    message: view.message ?? null, notice: view.notice ?? null,
  });
}

function tooMany(res: Response, seconds: number) {
  res.set('Retry-After', String(seconds));
  res.locals.limiter = 'login_throttle';
  renderLogin(res, 429, { message: `Too many sign-in attempts. Try again in ${seconds} seconds.` });
}

export interface AuthRoutesOptions {
  cookie: { name: string; secure: boolean };
  clock?: () => number;
}

export function createAuthRoutes(auth: AuthService, options: AuthRoutesOptions): Router {
  const router = Router();

  router.get('/', allow('session.login'), (req, res) => {
    res.redirect(303, req.currentUser ? '/dashboard' : '/login');
  });

  router.get('/login', allow('session.login'), (req, res) => {
    if (req.currentUser) return res.redirect(303, '/dashboard');
    renderLogin(res, 200, { notice: req.query.signed_out === '1' ? 'You have signed out.' : undefined });
  });

  // The per-IP request cap in front of this form is the panel's (src/http/rate-limits.ts).
  router.post('/login', allow('session.login'), async (req, res) => {
    const parsed = loginFormSchema.safeParse(req.body ?? {});
    const username = typeof req.body?.username === 'string' ? req.body.username.trim().slice(0, 128) : '';
    if (!parsed.success) return renderLogin(res, 400, { username, errors: fieldErrors(parsed.error) });

    const outcome = await auth.authenticate(parsed.data.username, parsed.data.password,
      { ip: req.ip ?? 'unknown', userAgent: req.get('user-agent') ?? null, channel: 'panel', requires: 'panel.enter' });
    if (outcome.kind === 'throttled') return tooMany(res, outcome.retryAfterSeconds);
    if (outcome.kind === 'invalid') return renderLogin(res, 401, { username, message: INVALID });
    if (outcome.kind === 'forbidden') {
      return renderLogin(res, 403, { username, message: 'This account cannot use the admin console.' });
    }

    await regenerateSession(req);
    auth.recordSessionStart(outcome.user, sessionRef(req), { ip: req.ip ?? 'unknown', userAgent: req.get('user-agent') ?? null });
    req.session.userId = outcome.user.id;
    req.session.credentialVersion = outcome.user.credentialVersion;
    req.session.authenticatedAt = (options.clock ?? Date.now)();
    res.redirect(303, outcome.user.mustChangePassword ? '/account/password' : '/dashboard');
  });

  router.post('/logout', allow('session.logout'), async (req, res) => {
    auth.recordLogout(req.currentUser!, { ip: req.ip ?? 'unknown', userAgent: req.get('user-agent') ?? null, channel: 'panel', loginRef: sessionRef(req) ?? undefined });
    await destroySession(req);
    res.clearCookie(options.cookie.name, { path: '/', httpOnly: true, sameSite: 'lax', secure: options.cookie.secure });
    res.redirect(303, '/login?signed_out=1');
  });

  return router;
}
