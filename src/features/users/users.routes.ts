import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { addFlash } from '../../http/flash.js';
import { HttpError } from '../../http/errors.js';
import { pathId as idOf, undecodableParam } from '../../http/id-param.js';
import { pageLinks, requestedPage } from '../../http/pagination.js';
import { actorFromSession as actorOf, allow } from '../../http/panel-auth.js';
import { ASSIGNABLE_ROLES, CREATABLE_ROLES, can, decideOnUser, type UserAction } from '../../domain/permissions.js';
import type { ActivityService } from '../activity/activity.service.js';
import type { UserListing } from './users.repo.js';
import { ROLES } from '../../domain/roles.js';
import type { UserManagement } from './users.manage.js';
import type { ActorContext } from '../../domain/principal.js';
import { listQuerySchema } from './users.schemas.js';

const PAGE_SIZE = 25;
const passwordPair = z.object({ password: z.string(), confirm_password: z.string() });


/** Which row actions the actor may take on a user; views only show what is allowed. */
function actionsFor(actor: ActorContext, user: UserListing) {
  const may = (action: UserAction) => decideOnUser(actor, action, user).ok;
  return {
    edit: may('users.update'),
    changeRole: may('users.changeRole') && user.role !== 'admin',
    resetPassword: may('users.resetPassword'),
    terminate: user.isActive && may('users.terminate'),
    reactivate: !user.isActive && may('users.reactivate'),
    signOut: user.isActive && may('users.signOutEverywhere'),
    transfer: user.role === 'manager' && may('users.transfer'),
  };
}

/** Runs a form action; a refusal with field errors re-renders the page, anything else goes up. */
async function formAction(res: Response, run: () => Promise<unknown> | unknown, rerender: (errors: Record<string, string>) => void): Promise<boolean> {
  try {
    await run();
    return true;
  } catch (err) {
    if (err instanceof HttpError && (err.status === 400 || err.status === 409)) {
      res.status(err.status);
      // A refusal naming `id` is about the account itself (e.g. yourself): a page-level message.
      const fields = err.extra.fields;
      rerender(fields && !fields.id ? fields : { form: err.message });
      return false;
    }
    throw err;
  }
}

export function createUsersRoutes(manage: UserManagement, activity: ActivityService): Router {
  const router = Router();

  router.get('/users', allow('users.list'), (req, res) => {
    const parsed = listQuerySchema.omit({ limit: true, offset: true }).safeParse(req.query);
    const filters: { search?: string; role?: UserListing['role']; status?: 'active' | 'terminated' } = parsed.success ? parsed.data : {};
    const { page, limit, offset } = requestedPage(req, PAGE_SIZE);
    const actor = actorOf(req);
    const { users, total } = manage.list(actor, { ...filters, limit, offset });
    const query = { search: filters.search ?? '', role: filters.role ?? '', status: String(req.query.status ?? '') };
    res.render('users/index', {
      title: 'Users', users: users.map((u) => ({ ...u, actions: actionsFor(actor, u) })), total, query,
      roles: ROLES, canCreate: can(actor, 'users.create'), invalidFilter: !parsed.success,
      ...pageLinks('/users', page, PAGE_SIZE, total, query),
    });
  });

  const renderNew = (req: Request, res: Response, values = { username: '', role: 'worker' }, errors: Record<string, string> = {}) =>
    res.render('users/new', { title: 'New user', values, errors, roles: CREATABLE_ROLES[req.currentUser!.role] });

  router.get('/users/new', allow('users.create'), (req, res) => renderNew(req, res));

  router.post('/users', allow('users.create'), async (req, res) => {
    const body = { username: String(req.body?.username ?? ''), password: String(req.body?.password ?? ''), role: String(req.body?.role ?? '') };
    const values = { username: body.username, role: body.role };
    if (body.password !== String(req.body?.confirm_password ?? '')) {
      return renderNew(req, res.status(400), values, { confirm_password: 'The two passwords do not match' });
    }
    if (!ROLES.includes(body.role as never)) return renderNew(req, res.status(400), values, { role: 'Choose a role' });
    let id = 0;
    const ok = await formAction(res, async () => {
      id = (await manage.create(actorOf(req), { ...body, role: body.role as UserListing['role'] })).id;
    }, (errors) => renderNew(req, res, values, errors));
    if (!ok) return;
    addFlash(req, 'success', `User ${body.username.trim()} was created.`);
    res.redirect(303, `/users/${id}`);
  });

  const renderShow = (req: Request, res: Response, id: number, errors: Record<string, string> = {}, values: Record<string, string> = {}) => {
    const actor = actorOf(req);
    const user = manage.show(actor, id);
    const actions = actionsFor(actor, user);
    res.render('users/show', {
      title: user.username, user, actions, errors, values, assignableRoles: ASSIGNABLE_ROLES,
      logins: manage.activeLogins(actor, id),
      managers: actions.transfer ? manage.managers().filter((m) => m.id !== user.id) : [],
      audit: can(actor, 'activity.view') ? { events: activity.recentFor(id), risk: activity.riskScore(id), flags: activity.flags({ acknowledged: false, userId: id, limit: 20 }) } : null,
    });
  };

  router.get('/users/:id', allow('users.read'), (req, res) => renderShow(req, res, idOf(req)));

  /** A state-changing form on the user page: act, then flash and redirect back (PRG). */
  const post = (path: string, action: UserAction, run: (req: Request, id: number) => Promise<unknown> | unknown, done: string) => {
    router.post(`/users/:id${path}`, allow(action), async (req, res) => {
      const id = idOf(req);
      const ok = await formAction(res, () => run(req, id), (errors) => renderShow(req, res, id, errors, { username: String(req.body?.username ?? '') }));
      if (!ok) return;
      addFlash(req, 'success', done);
      res.redirect(303, `/users/${id}`);
    });
  };

  post('', 'users.update', (req, id) => manage.update(actorOf(req), id, { username: String(req.body?.username ?? '') }), 'The username was changed.');
  post('/role', 'users.changeRole', (req, id) => {
    const role = String(req.body?.role ?? '');
    if (!ASSIGNABLE_ROLES.includes(role as never)) throw new HttpError(400, 'Choose worker or manager', { fields: { role: 'Choose worker or manager' } });
    return manage.changeRole(actorOf(req), id, role as UserListing['role']);
  }, 'The role was changed. The user has been signed out everywhere.');
  post('/password', 'users.resetPassword', (req, id) => {
    const pair = passwordPair.safeParse(req.body ?? {});
    if (!pair.success || pair.data.password !== pair.data.confirm_password) {
      throw new HttpError(400, 'The two passwords do not match', { fields: { confirm_password: 'The two passwords do not match' } });
    }
    return manage.resetPassword(actorOf(req), id, pair.data.password);
  }, 'The password was reset. The user must choose a new one at next sign-in.');
  post('/terminate', 'users.terminate', (req, id) => manage.terminate(actorOf(req), id), 'The account was terminated. All its sessions and tokens have ended.');
  post('/reactivate', 'users.reactivate', (req, id) => manage.reactivate(actorOf(req), id), 'The account was reactivated.');
  post('/sign-out', 'users.signOutEverywhere', (req, id) => manage.signOutEverywhere(actorOf(req), id), 'The user was signed out everywhere.');
  post('/transfer', 'users.transfer', (req, id) => {
    const to = Number(req.body?.manager_id);
    return manage.transferAccounts(actorOf(req), id, Number.isSafeInteger(to) ? to : 0);
  }, 'The workers were handed over.');

  router.get('/users/:id/terminate', allow('users.terminate'), (req, res) => {
    const actor = actorOf(req);
    const user = manage.show(actor, idOf(req));
    if (!actionsFor(actor, user).terminate) throw new HttpError(403, 'You cannot terminate this account.');
    res.render('users/terminate', { title: `Terminate ${user.username}`, user });
  });

  router.use(undecodableParam());
  return router;
}
