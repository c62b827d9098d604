import type { Db } from '../../db.js';
import type { ActorContext } from '../../domain/principal.js';
import { BadRequest, Conflict, Forbidden, NotFound, type HttpError } from '../../http/errors.js';
import { canCreateRole, decideOnUser, listScope, type Actor, type Decision, type UserAction } from '../../domain/permissions.js';
import type { EventsRepo } from '../activity/activity.log.js';
import { hashPassword } from '../../passwords/password.js';
import { assertPasswordAllowed, parseUsername } from './users.schemas.js';
import { createUsersRepo, type UserFilters, type UserListing } from './users.repo.js';
import type { LiveLogin, User } from '../../domain/account.js';
import type { Role } from '../../domain/roles.js';

/** A refusal from the permission table as the error the client sees; a 400 names the path id. */
function refusal(status: Exclude<Decision, { ok: true }>['status'], message: string): HttpError {
  if (status === 400) return new BadRequest(message, { id: message });
  return status === 404 ? new NotFound(message) : new Forbidden(message);
}

export interface UserPatch {
  username?: string;
  password?: string;
  isActive?: boolean;
}

/**
 * Managing other people's accounts, scoped by the permission table: list, create, edit,
 * change role, terminate/reactivate, reset password, sign out everywhere, hand over accounts.
 * Every change that affects access bumps the credential version, ending the target's panel
 * sessions and token logins at once, and is recorded in the same transaction.
 */
export function createUserManagement(db: Db, events: EventsRepo, options: { passwordRequireClasses: boolean; liveLogins: (userId: number, now: string) => LiveLogin[]; now?: () => Date }) {
  const repo = createUsersRepo(db);
  const now = () => (options.now?.() ?? new Date()).toISOString();

  function record(actor: ActorContext, action: string, target: User, detail?: Record<string, string | number | boolean | null>) {
    events.record({
      action, outcome: 'success', userId: actor.id, username: actor.username, loginRef: actor.loginRef ?? null,
      ip: actor.ip ?? null, userAgent: actor.userAgent ?? null,
      targetType: 'user', targetId: target.id,
      detail: { target_username: target.username, target_role: target.role, ...detail },
    });
  }

  /** The actor as stored now: a demotion or termination since the request began counts. */
  function currentActor(actor: ActorContext): ActorContext {
    const stored = repo.findById(actor.id);
    if (!stored?.isActive) throw new Forbidden('Your account can no longer do that');
    return { ...actor, role: stored.role, isOwner: stored.isOwner };
  }

  /**
   * The account if the actor may do `action` to it, both as stored now; otherwise the refusal.
   * Writers call it again inside their transaction, so the role the decision saw is the role
   * the write sees (a promotion landing while a password hashes cannot slip through).
   */
  function authorize(actor: ActorContext, action: UserAction, id: number): User {
    const target = repo.findById(id);
    if (!target) throw new NotFound('User not found');
    const decision = decideOnUser(currentActor(actor), action, target);
    if (!decision.ok) throw refusal(decision.status, decision.message);
    return target;
  }

  function assertUsernameFree(username: string, exceptId?: number): void {
    const existing = repo.findByUsername(username);
    if (existing && existing.id !== exceptId) throw new Conflict('Username already exists', { username: 'Username already exists' });
  }

  function list(actor: ActorContext, filters: Omit<UserFilters, 'scope'>): { users: UserListing[]; total: number } {
    return repo.listPage({ ...filters, scope: listScope(currentActor(actor)) });
  }

  function show(actor: ActorContext, id: number): UserListing {
    authorize(actor, 'users.read', id);
    return repo.findListing(id)!;
  }

  function activeLogins(actor: ActorContext, id: number): LiveLogin[] {
    authorize(actor, 'users.read', id);
    return options.liveLogins(id, now());
  }

  /** Active managers an admin may hand accounts to. */
  function managers(): UserListing[] {
    return repo.listPage({ role: 'manager', status: 'active', limit: 500, offset: 0 }).users;
  }

  function assertMayCreate(actor: ActorContext, role: Role): void {
    if (!canCreateRole(currentActor(actor), role)) throw new Forbidden(`Cannot create user with role '${role}'`);
  }

  async function create(actor: ActorContext, input: { username: string; password: string; role: Role }): Promise<User> {
    assertMayCreate(actor, input.role);
    const username = parseUsername(input.username);
    assertPasswordAllowed(input.password, username, options.passwordRequireClasses);
    assertUsernameFree(username);
    const passwordHash = await hashPassword(input.password);
    return db.transaction(() => {
      assertMayCreate(actor, input.role);
      assertUsernameFree(username);
      const id = repo.insert({ username, passwordHash, role: input.role, createdBy: actor.id, isOwner: false, mustChangePassword: false, now: now() });
      const user = repo.findById(id)!;
      record(actor, 'user.create', user, { role: input.role });
      return user;
    }).immediate();
  }

  /** The actions a patch needs, the first one deciding the answer when several are refused. */
  function actionsOf(patch: UserPatch): UserAction[] {
    const needed: UserAction[] = [];
    if (patch.isActive !== undefined) needed.push(patch.isActive ? 'users.reactivate' : 'users.terminate');
    if (patch.password !== undefined) needed.push('users.resetPassword');
    if (patch.username !== undefined || needed.length === 0) needed.push('users.update');
    return needed;
  }

  /** Applies a patch all-or-nothing: each part is authorised and validated before anything is written. */
  async function update(actor: ActorContext, id: number, patch: UserPatch): Promise<User> {
    const authorizeAll = () => actionsOf(patch).map((action) => authorize(actor, action, id))[0]!;
    const before = authorizeAll();
    const username = patch.username !== undefined ? parseUsername(patch.username) : undefined;
    if (username !== undefined) assertUsernameFree(username, id);
    if (patch.password !== undefined) assertPasswordAllowed(patch.password, username ?? before.username, options.passwordRequireClasses);
    const passwordHash = patch.password !== undefined ? await hashPassword(patch.password) : undefined;

    return db.transaction(() => {
      const target = authorizeAll();
      const at = now();
      if (username !== undefined && username !== target.username) {
        assertUsernameFree(username, id);
        repo.updateUsername(id, username, at);
        record(actor, 'user.update', target, { field: 'username', new_username: username });
      }
      if (passwordHash !== undefined) {
        repo.updatePassword(id, passwordHash, true, at);
        record(actor, 'user.password_reset', target);
      }
      if (patch.isActive === false && repo.terminate(id, actor.id, at)) record(actor, 'user.terminate', target);
      if (patch.isActive === true && repo.reactivate(id, at)) record(actor, 'user.reactivate', target);
      return repo.findById(id)!;
    }).immediate();
  }

  function changeRole(actor: ActorContext, id: number, role: Role): User {
    return db.transaction(() => {
      const target = authorize(actor, 'users.changeRole', id);
      if (role === 'admin' || target.role === 'admin') throw new Forbidden('Roles can only be changed between worker and manager');
      if (target.role !== role) {
        repo.updateRole(id, role, now());
        record(actor, 'user.role_change', target, { from: target.role, to: role });
      }
      return repo.findById(id)!;
    }).immediate();
  }

  const terminate = (actor: ActorContext, id: number) => update(actor, id, { isActive: false });
  const reactivate = (actor: ActorContext, id: number) => update(actor, id, { isActive: true });
  const resetPassword = (actor: ActorContext, id: number, password: string) => update(actor, id, { password });

  function signOutEverywhere(actor: ActorContext, id: number): void {
    db.transaction(() => {
      const target = authorize(actor, 'users.signOutEverywhere', id);
      repo.bumpCredentialVersion(id, now());
      record(actor, 'user.sign_out_everywhere', target);
    }).immediate();
  }

  /** Hands the workers a manager created to another active manager; accounts since promoted stay. */
  function transferAccounts(actor: ActorContext, fromId: number, toId: number): number {
    return db.transaction(() => {
      const from = authorize(actor, 'users.transfer', fromId);
      const to = repo.findById(toId);
      if (!to || to.role !== 'manager' || !to.isActive || to.id === from.id) {
        throw new BadRequest('Choose another active manager', { manager_id: 'Choose another active manager' });
      }
      const moved = repo.transferWorkers(fromId, toId, now());
      record(actor, 'user.transfer', from, { to_user_id: to.id, to_username: to.username, accounts: moved });
      return moved;
    }).immediate();
  }

  return { list, show, activeLogins, managers, create, update, changeRole, terminate, reactivate, resetPassword, signOutEverywhere, transferAccounts, authorize };
}

export type UserManagement = ReturnType<typeof createUserManagement>;
