import { Router, type Request, type Response } from 'express';
import { allow } from '../../http/panel-auth.js';
import { HttpError } from '../../http/errors.js';
import { addFlash } from '../../http/flash.js';
import { regenerateSession } from '../../http/session.js';
import { changePasswordFormSchema } from './account.schemas.js';
import { fieldErrors } from '../../http/schemas.js';
import type { UsersService } from '../users/users.service.js';

function renderForm(req: Request, res: Response, status: number, errors: Record<string, string> = {}) {
  res.status(status).render('account/password', {
    title: 'Change password',
    forced: req.currentUser?.mustChangePassword ?? false,
    errors,
  });
}

export function createAccountRoutes(users: UsersService, clock: () => number = Date.now): Router {
  const router = Router();

  router.get(['/account', '/account/password'], allow('account.changeOwnPassword'), (req, res) => renderForm(req, res, 200));

  router.post('/account/password', allow('account.changeOwnPassword'), async (req, res) => {
    const parsed = changePasswordFormSchema.safeParse(req.body ?? {});
    if (!parsed.success) return renderForm(req, res, 400, fieldErrors(parsed.error));
    const { current_password: current, new_password: next } = parsed.data;
    let updated;
    try {
      updated = await users.changeOwnPassword(req.currentUser!.id, current, next,
        { channel: 'panel', ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null });
    } catch (err) {
      // A wrong current password and a spent attempt budget both keep the user on the form.
      if (err instanceof HttpError && (err.status === 400 || err.status === 429)) {
        if (err.extra.retryAfterSeconds) res.set('Retry-After', String(err.extra.retryAfterSeconds));
        if (err.extra.limiter) res.locals.limiter = err.extra.limiter;
        return renderForm(req, res, err.status, err.extra.fields ?? { current_password: err.message });
      }
      throw err;
    }
    // The change bumped the credential version, ending every session; this one continues
    // under a fresh id.
    await regenerateSession(req);
    req.session.userId = updated.id;
    req.session.credentialVersion = updated.credentialVersion;
    req.session.authenticatedAt = clock();
    addFlash(req, 'success', 'Your password has been changed. Other sessions have been signed out.');
    res.redirect(303, '/dashboard');
  });

  return router;
}
