import { Router, type Request, type Response } from 'express';
import type { Clock } from '../../clock.js';
import type { FormErrors } from '../../http/forms.js';
import { formPage, renderPage, type Page } from '../../http/forms.js';
import { allow } from '../../http/panel-auth.js';
import { sessionRef } from '../../http/refusals.js';
import { destroySession, regenerateSession } from '../../http/session.js';
import { bodyString } from '../../http/schemas.js';
import { parseForm } from '../../http/validate.js';
import { loginFormSchema } from './auth.schemas.js';
import type { SignInService } from './sign-in.service.js';

interface LoginView {
  username?: string;
  errors?: FormErrors;
  message?: string;
  notice?: string;
}

const loginPage = (view: LoginView = {}): Page => ({ view: 'auth/login', locals: {
  title: 'Sign in', username: view.username ?? '', errors: view.errors ?? {}, message: view.message ?? null, notice: view.notice ?? null,
} });

const renderLogin = (res: Response, status: number, view: LoginView = {}) => renderPage(res.status(status), loginPage(view));

/** The username as typed, to show the form again with it (never the password). */
const typedUsername = (req: Request) => (bodyString(req.body, 'username') ?? '').trim().slice(0, 128);

export interface AuthRoutesDeps {
  signIn: SignInService;
  cookie: { name: string; secure: boolean };
  clock: Clock;
}

/** The console's sign-in and sign-out. */
export function createAuthRoutes(deps: AuthRoutesDeps): Router {
  const { signIn, cookie } = deps;
  const router = Router();
  const loginForm = formPage((req, errors) => loginPage({ username: typedUsername(req), errors }));

  router.get('/', allow('session.login'), (req, res) => {
    res.redirect(303, req.currentUser ? '/dashboard' : '/login');
  });

  router.get('/login', allow('session.login'), (req, res) => {
    if (req.currentUser) return res.redirect(303, '/dashboard');
    renderLogin(res, 200, { notice: req.query.signed_out === '1' ? 'You have signed out.' : undefined });
  });

  // The per-IP request cap in front of this form is the panel's (src/http/rate-limits.ts).
  router.post('/login', allow('session.login'), loginForm, async (req, res) => {
    const input = parseForm(loginFormSchema, req.body);
    const outcome = await signIn.authenticate(input.username, input.password,
      { ip: req.ip ?? 'unknown', userAgent: req.get('user-agent') ?? null, channel: 'panel', requires: 'panel.enter' });
    const username = typedUsername(req);
    if (outcome.kind === 'throttled') {
      res.set('Retry-After', String(outcome.retryAfterSeconds));
      res.locals.limiter = 'login_throttle';
      return renderLogin(res, 429, { username, message: `Too many sign-in attempts. Try again in ${outcome.retryAfterSeconds} seconds.` });
    }
    if (outcome.kind === 'invalid') return renderLogin(res, 401, { username, message: 'Invalid username or password.' });
    if (outcome.kind === 'forbidden') return renderLogin(res, 403, { username, message: 'This account cannot use the admin console.' });

    await regenerateSession(req);
    signIn.recordSessionStart(outcome.user, sessionRef(req), { ip: req.ip ?? 'unknown', userAgent: req.get('user-agent') ?? null });
    req.session.userId = outcome.user.id;
    req.session.credentialVersion = outcome.user.credentialVersion;
    req.session.authenticatedAt = deps.clock();
    res.redirect(303, outcome.user.mustChangePassword ? '/account/password' : '/dashboard');
  });

  router.post('/logout', allow('session.logout'), async (req, res) => {
    signIn.recordLogout(req.currentUser!, { ip: req.ip ?? 'unknown', userAgent: req.get('user-agent') ?? null, channel: 'panel', loginRef: sessionRef(req) });
    await destroySession(req);
    res.clearCookie(cookie.name, { path: '/', httpOnly: true, sameSite: 'lax', secure: cookie.secure });
    res.redirect(303, '/login?signed_out=1');
  });

  return router;
}
