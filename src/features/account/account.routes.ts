import { Router, type Request } from 'express';
import type { Clock } from '../../clock.js';
import { addFlash } from '../../http/flash.js';
import { formPage, renderPage, type FormErrors, type Page } from '../../http/forms.js';
import { actorFromSession, allow } from '../../http/panel-auth.js';
import { regenerateSession } from '../../http/session.js';
import { parseForm } from '../../http/validate.js';
import { changePasswordFormSchema } from './account.schemas.js';
import type { AccountService } from './account.service.js';

const passwordPage = (req: Request, errors: FormErrors = {}): Page =>
  ({ view: 'account/password', locals: { title: 'Change password', forced: req.currentUser?.mustChangePassword ?? false, errors } });

/** The console's own-account pages. */
export function createAccountRoutes(deps: { account: AccountService; clock: Clock }): Router {
  const router = Router();

  router.get(['/account', '/account/password'], allow('account.changeOwnPassword'), (req, res) => renderPage(res, passwordPage(req)));

  // A wrong current password and a spent attempt budget both keep the user on the form.
  router.post('/account/password', allow('account.changeOwnPassword'), formPage(passwordPage, 'current_password'), async (req, res) => {
    const input = parseForm(changePasswordFormSchema, req.body);
    const updated = await deps.account.changeOwnPassword(actorFromSession(req), input.current_password, input.new_password);
    // The change bumped the credential version, ending every session; this one continues under a fresh id.
    await regenerateSession(req);
    req.session.userId = updated.id;
    req.session.credentialVersion = updated.credentialVersion;
    req.session.authenticatedAt = deps.clock();
    addFlash(req, 'success', 'Your password has been changed. Other sessions have been signed out.');
    res.redirect(303, '/dashboard');
  });

  return router;
}
