import crypto from 'node:crypto';
import { isoTime, type Clock } from '../../clock.js';
import { writeTransaction, type Db } from '../../db.js';
import type { LiveLogin, User } from '../../domain/account.js';
import type { ActivityAction } from '../../domain/activity.js';
import { canCreateRole, canReceiveWorkers, decideOnUser, listScope, type Decision, type UserAction, type UserChange } from '../../domain/permissions.js';
import type { ActorContext } from '../../domain/principal.js';
import type { Role } from '../../domain/roles.js';
import { BadRequest, Conflict, Forbidden, NotFound, type HttpError } from '../../errors.js';
import { hashPassword } from '../../passwords/password.js';
import { assertPasswordAllowed } from '../../passwords/password-policy.js';
import type { ActivityLog } from '../activity/activity-log.service.js';
import type { TokenService } from '../auth/tokens.service.js';
import type { UserFilters, UserListing, UsersRepo } from './users.repo.js';
import { parseUsername } from './users.schemas.js';

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

export interface UsersServiceDeps {
  db: Db;
  /** The one users repo: sign-in and one's own account read and write accounts through it too. */
  repo: UsersRepo;
  activityLog: ActivityLog;
  /** The devices an account is signed in on, shown on its page. */
  tokens: Pick<TokenService, 'liveLogins'>;
  passwordRequireClasses: boolean;
  clock: Clock;
}

/**
 * Managing other people's accounts, scoped by the permission table: list, create, edit,
 * change role, terminate/reactivate, reset password, sign out everywhere, hand over accounts;
 * and, for the operator, creating admins. Every change that affects access bumps the
 * credential version, ending the target's panel sessions and token logins at once, and is
 * recorded in the same transaction.
 */
export function createUsersService(deps: UsersServiceDeps) {
  const { db, repo, activityLog } = deps;
  const now = () => isoTime(deps.clock());
  const assertStrongPassword = (password: string, username: string) =>
    assertPasswordAllowed(password, { username, requireClasses: deps.passwordRequireClasses });

  function record(actor: ActorContext, action: ActivityAction, target: User, detail?: Record<string, string | number | boolean | null>) {
    activityLog.append({
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
  function authorize(actor: ActorContext, action: UserAction, id: number, change?: UserChange): User {
    const target = repo.findById(id);
    if (!target) throw new NotFound('User not found');
    const decision = decideOnUser(currentActor(actor), action, target, change);
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
    return deps.tokens.liveLogins(id);
  }

  /** Active managers an admin may hand accounts to. */
  const managers = (): UserListing[] => repo.listPage({ role: 'manager', status: 'active', limit: 500, offset: 0 }).users;

  function assertMayCreate(actor: ActorContext, role: Role): void {
    if (!canCreateRole(currentActor(actor), role)) throw new Forbidden(`Cannot create user with role '${role}'`);
  }

  async function create(actor: ActorContext, input: { username: string; password: string; role: Role }): Promise<User> {
    assertMayCreate(actor, input.role);
    const username = parseUsername(input.username);
    assertStrongPassword(input.password, username);
    assertUsernameFree(username);
    const passwordHash = await hashPassword(input.password);
    return writeTransaction(db, () => {
      assertMayCreate(actor, input.role);
      assertUsernameFree(username);
      const id = repo.insert({ username, passwordHash, role: input.role, createdBy: actor.id, isOwner: false, mustChangePassword: false, now: now() });
      const user = repo.findById(id)!;
      record(actor, 'user.create', user, { role: input.role });
      return user;
    });
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
    if (patch.password !== undefined) assertStrongPassword(patch.password, username ?? before.username);
    const passwordHash = patch.password !== undefined ? await hashPassword(patch.password) : undefined;

    return writeTransaction(db, () => {
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
    });
  }

  function changeRole(actor: ActorContext, id: number, role: Role): User {
    return writeTransaction(db, () => {
      const target = authorize(actor, 'users.changeRole', id, { role });
      if (target.role !== role) {
        repo.updateRole(id, role, now());
        record(actor, 'user.role_change', target, { from: target.role, to: role });
      }
      return repo.findById(id)!;
    });
  }

  function signOutEverywhere(actor: ActorContext, id: number): void {
    writeTransaction(db, () => {
      const target = authorize(actor, 'users.signOutEverywhere', id);
      repo.bumpCredentialVersion(id, now());
      record(actor, 'user.sign_out_everywhere', target);
    });
  }

  /** Hands the workers a manager created to another active manager; accounts since promoted stay. */
  function transferAccounts(actor: ActorContext, fromId: number, toId: number): number {
    return writeTransaction(db, () => {
      const from = authorize(actor, 'users.transfer', fromId);
      const to = repo.findById(toId);
      if (!to || !canReceiveWorkers(to, from)) throw new BadRequest('Choose another active manager', { manager_id: 'Choose another active manager' });
      const moved = repo.transferWorkers(fromId, toId, now());
      record(actor, 'user.transfer', from, { to_user_id: to.id, to_username: to.username, accounts: moved });
      return moved;
    });
  }

  /** Creates an admin (the operator, at a shell); the first admin ever created becomes the owner. */
  async function createAdmin(input: { username: string; password: string; mustChangePassword?: boolean }): Promise<User> {
    const username = parseUsername(input.username);
    assertStrongPassword(input.password, username);
    const passwordHash = await hashPassword(input.password);
    const id = writeTransaction(db, () => {
      if (repo.findByUsername(username)) throw new Conflict('Username already exists', { username: 'Username already exists' });
      const isOwner = repo.countAdmins() === 0;
      const id = repo.insert({ username, passwordHash, role: 'admin', createdBy: null, isOwner, mustChangePassword: input.mustChangePassword ?? false, now: now() });
      activityLog.append({ action: 'user.create', outcome: 'success', username: 'operator', targetType: 'user', targetId: id,
        detail: { channel: 'cli', target_username: username, role: 'admin', owner: isOwner } });
      return id;
    });
    return repo.findById(id)!;
  }

  /**
   * On a store with no users: the configured admin becomes the owner, or one with a random
   * password that must be changed at first login. Returns the generated password, if any.
   */
  async function ensureFirstAdmin(configured: { username: string; password: string | undefined }) {
    if (repo.count() > 0) return null;
    const { username, password } = configured;
    if (password !== undefined) return { user: await createAdmin({ username, password }), generatedPassword: null };
    const generatedPassword = crypto.randomBytes(18).toString('base64url');
    const user = await createAdmin({ username: configured.username, password: generatedPassword, mustChangePassword: true });
    return { user, generatedPassword };
  }

  return {
    list, show, activeLogins, managers, create, update, changeRole, signOutEverywhere, transferAccounts, createAdmin, ensureFirstAdmin,
    /** Refuses (403, 404) unless the actor may do `action` to the account now: a form is judged after who sends it. */
    assertMay: (actor: ActorContext, action: UserAction, id: number): void => void authorize(actor, action, id),
    terminate: (actor: ActorContext, id: number) => update(actor, id, { isActive: false }),
    reactivate: (actor: ActorContext, id: number) => update(actor, id, { isActive: true }),
    resetPassword: (actor: ActorContext, id: number, password: string) => update(actor, id, { password }),
    /** The workers a manager created: its team, whose data it sees (see dataScope). */
    workerIdsCreatedBy: (managerId: number): number[] => repo.workerIdsCreatedBy(managerId),
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
