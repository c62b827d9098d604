import { Router, type Request } from 'express';
import { allows, CREATABLE_ROLES, ASSIGNABLE_ROLES, type UserAction } from '../../domain/permissions.js';
import type { ActorContext } from '../../domain/principal.js';
import { ROLES } from '../../domain/roles.js';
import { Forbidden } from '../../errors.js';
import { addFlash } from '../../http/flash.js';
import { formPage, renderPage, type FormErrors, type Page } from '../../http/forms.js';
import { keysetLinks, pageLinks, requestedBefore, requestedPage } from '../../http/pagination.js';
import { actorFromSession as actorOf, allow } from '../../http/panel-auth.js';
import { typedField } from '../../http/schemas.js';
import { parseForm, pathId, readFilterForm, undecodableParam } from '../../http/validate.js';
import { displayEvent, type ActivityService } from '../activity/activity.service.js';
import type { UserListing } from './users.repo.js';
import {
  newUserFormSchema, renameFormSchema, resetPasswordFormSchema, roleFormSchema, transferFormSchema, userFilterSchema,
} from './users.schemas.js';
import type { UsersService } from './users.service.js';

const PAGE_SIZE = 25;
const TIMELINE_SIZE = 25;

/** Which row actions the actor may take on a user, as the permission table decides; views show only those. */
function actionsFor(actor: ActorContext, user: UserListing) {
  const may = (action: UserAction) => allows(actor, action, user);
  return {
    edit: may('users.update'),
    changeRole: may('users.changeRole'),
    resetPassword: may('users.resetPassword'),
    terminate: user.isActive && may('users.terminate'),
    reactivate: !user.isActive && may('users.reactivate'),
    signOut: user.isActive && may('users.signOutEverywhere'),
    transfer: may('users.transfer'),
  };
}

export function createUsersRoutes(deps: { users: UsersService; activity: ActivityService }): Router {
  const { users, activity } = deps;
  const router = Router();

  router.get('/users', allow('users.list'), (req, res) => {
    const { form, values: filters, error } = readFilterForm(req.query, userFilterSchema, ['search', 'role', 'status']);
    const { page, limit, offset } = requestedPage(req, PAGE_SIZE);
    const actor = actorOf(req);
    const { users: rows, total } = users.list(actor, { ...filters, limit, offset });
    res.render('users/index', {
      title: 'Users', users: rows.map((u) => ({ ...u, actions: actionsFor(actor, u) })), total, query: form,
      roles: ROLES, invalidFilter: error !== null, ...pageLinks('/users', page, PAGE_SIZE, total, form),
    });
  });

  const newUserPage = (req: Request, errors: FormErrors = {}): Page => ({ view: 'users/new', locals: {
    title: 'New user', errors, roles: CREATABLE_ROLES[req.currentUser!.role],
    values: req.method === 'POST' ? { username: typedField(req.body, 'username'), role: typedField(req.body, 'role') } : { username: '', role: 'worker' },
  } });

  router.get('/users/new', allow('users.create'), (req, res) => renderPage(res, newUserPage(req)));

  router.post('/users', allow('users.create'), formPage(newUserPage), async (req, res) => {
    const input = parseForm(newUserFormSchema, req.body);
    const user = await users.create(actorOf(req), input);
    addFlash(req, 'success', `User ${input.username.trim()} was created.`);
    res.redirect(303, `/users/${user.id}`);
  });

  /** What the account did and what was done to it, a page at a time; the log's filters take it further. */
  function timelineOf(req: Request, user: UserListing) {
    const before = requestedBefore(req);
    const page = activity.timeline(user.id, TIMELINE_SIZE, before);
    return {
      ...page, events: page.events.map(displayEvent),
      ...keysetLinks(`/users/${user.id}`, new URLSearchParams(), { before, nextBefore: page.nextBefore }, '#activity-heading'),
      logPath: allows(actorOf(req), 'activity.view') ? '/activity' : '/team/activity',
    };
  }

  const userPage = (req: Request, errors: FormErrors = {}): Page => {
    const actor = actorOf(req);
    const id = pathId(req);
    const user = users.show(actor, id);
    const actions = actionsFor(actor, user);
    return { view: 'users/show', locals: {
      title: user.username, user, actions, errors, values: { username: typedField(req.body, 'username') }, assignableRoles: ASSIGNABLE_ROLES,
      logins: users.activeLogins(actor, id),
      managers: actions.transfer ? users.managers().filter((m) => m.id !== user.id) : [],
      timeline: allows(actor, 'activity.view') || allows(actor, 'activity.viewTeam') ? timelineOf(req, user) : null,
      audit: allows(actor, 'activity.view') ? { risk: activity.riskOf(id) } : null,
    } };
  };

  router.get('/users/:id', allow('users.read'), (req, res) => renderPage(res, userPage(req)));

  /** A state-changing form on the user page: act, then flash and redirect back (PRG); a refusal shows the page again. */
  const post = (path: string, action: UserAction, run: (req: Request, id: number) => unknown, done: string) => {
    router.post(`/users/:id${path}`, allow(action), formPage(userPage), async (req, res) => {
      const id = pathId(req);
      // Who may act is decided before what they typed: a refusal is a refusal (and recorded) whatever the input.
      users.assertMay(actorOf(req), action, id);
      await run(req, id);
      addFlash(req, 'success', done);
      res.redirect(303, `/users/${id}`);
    });
  };

  post('', 'users.update', (req, id) => users.update(actorOf(req), id, parseForm(renameFormSchema, req.body)), 'The username was changed.');
  post('/role', 'users.changeRole', (req, id) => users.changeRole(actorOf(req), id, parseForm(roleFormSchema, req.body).role),
    'The role was changed. The user has been signed out everywhere.');
  post('/password', 'users.resetPassword', (req, id) => users.resetPassword(actorOf(req), id, parseForm(resetPasswordFormSchema, req.body).password),
    'The password was reset. The user must choose a new one at next sign-in.');
  post('/terminate', 'users.terminate', (req, id) => users.terminate(actorOf(req), id), 'The account was terminated. All its sessions and tokens have ended.');
  post('/reactivate', 'users.reactivate', (req, id) => users.reactivate(actorOf(req), id), 'The account was reactivated.');
  post('/sign-out', 'users.signOutEverywhere', (req, id) => users.signOutEverywhere(actorOf(req), id), 'The user was signed out everywhere.');
  post('/transfer', 'users.transfer', (req, id) => users.transferAccounts(actorOf(req), id, parseForm(transferFormSchema, req.body).manager_id),
    'The workers were handed over.');

  router.get('/users/:id/terminate', allow('users.terminate'), (req, res) => {
    const actor = actorOf(req);
    const user = users.show(actor, pathId(req));
    if (!actionsFor(actor, user).terminate) throw new Forbidden('You cannot terminate this account.');
    res.render('users/terminate', { title: `Terminate ${user.username}`, user });
  });

  router.use(undecodableParam());
  return router;
}
