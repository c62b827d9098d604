import type { Role } from './roles.js';

type Audience = 'anyone' | 'signed-in' | readonly Role[];

/**
 * Who may do what: the only place roles are compared. Every route of the two surfaces names
 * one of these actions through its guard (`allow` on the panel, `permit` on the API), services
 * and views ask `can`/`decideOnUser`, which add the scope rules below. The probes (/health,
 * /ready, /metrics) are for machines and sit outside both surfaces: /metrics checks its own
 * credential (METRICS_TOKEN, or a loopback socket).
 */
export const PERMISSIONS = {
  'session.login': 'anyone',
  'session.logout': 'signed-in',
  // The token itself is the credential for these two; the handler verifies it.
  'token.validate': 'anyone',
  'token.refresh': 'anyone',
  'account.viewOwn': 'signed-in',
  'account.changeOwnPassword': 'signed-in',
  'panel.enter': ['manager', 'admin'],
  'dashboard.view': ['manager', 'admin'],
  'backups.view': ['admin'],
  'users.list': ['manager', 'admin'],
  'users.create': ['manager', 'admin'],
  'users.read': ['manager', 'admin'],
  'users.update': ['manager', 'admin'],
  'users.changeRole': ['admin'],
  'users.terminate': ['manager', 'admin'],
  'users.reactivate': ['manager', 'admin'],
  'users.resetPassword': ['manager', 'admin'],
  'users.signOutEverywhere': ['manager', 'admin'],
  'users.transfer': ['admin'],
  'contacts.view': ['manager', 'admin'],
  'contacts.sync': 'signed-in',
  'contacts.list': 'signed-in',
  'contacts.export': ['manager', 'admin'],
  'messages.view': ['manager', 'admin'],
  'messages.log': 'signed-in',
  'messages.list': 'signed-in',
  'messages.export': ['manager', 'admin'],
  'activity.view': ['admin'],
  // The read-only view of the log, scoped to the accounts one manages (an admin's scope is everyone).
  'activity.viewTeam': ['manager', 'admin'],
  // The anomaly flags: the list with what raised each, and acknowledging them (one or many, with a note).
  'activity.viewFlags': ['admin'],
  'activity.acknowledge': ['admin'],
  'activity.export': ['admin'],
} as const satisfies Record<string, Audience>;

export type Action = keyof typeof PERMISSIONS;

/** Roles each role may create. Admins come only from the CLI (and the first start). */
export const CREATABLE_ROLES: Record<Role, readonly Role[]> = {
  admin: ['worker', 'manager'],
  manager: ['worker'],
  worker: [],
};

/** Roles an admin may move an account between. */
export const ASSIGNABLE_ROLES = ['worker', 'manager'] as const satisfies readonly Role[];

export interface Actor {
  id: number;
  role: Role;
  isOwner: boolean;
}

export interface UserTarget {
  id: number;
  role: Role;
  isOwner: boolean;
  createdBy: number | null;
}

export type UserAction = Extract<Action, `users.${string}`>;

export type Decision = { ok: true } | { ok: false; status: 400 | 403 | 404; message: string };

/** What a change to an account would set, where the rules depend on it. */
export interface UserChange {
  role?: Role;
}

export function audienceOf(action: Action): Audience {
  return PERMISSIONS[action];
}

export function can(user: { role: Role } | null | undefined, action: Action): boolean {
  const audience: Audience = PERMISSIONS[action];
  if (audience === 'anyone') return true;
  if (!user) return false;
  if (audience === 'signed-in') return true;
  return audience.includes(user.role);
}

/**
 * Admins see everyone; a manager sees the accounts it created that are workers now. The role
 * is read at the time of the action: an account promoted to manager leaves its creator's
 * scope (a peer is not a subordinate), and comes back if an admin demotes it to worker.
 */
export function canSee(actor: Actor, target: UserTarget): boolean {
  if (actor.role === 'admin') return true;
  return actor.role === 'manager' && target.role === 'worker' && target.createdBy === actor.id;
}

/** The rows of the users list an actor may see: `null` means everyone's. */
export function listScope(actor: Actor): { createdBy: number; role: Role } | null {
  return actor.role === 'admin' ? null : { createdBy: actor.id, role: 'worker' };
}

const deny = (status: 400 | 403 | 404, message: string): Decision => ({ ok: false, status, message });

/**
 * The scope rules for acting on one account: one's own account can be read but is managed
 * from the account page; outside what the actor may see is "not found"; the owner is untouchable; other admins
 * are managed by the owner only; only a manager's accounts are handed over. Callers pass the
 * target (and actor) as stored at the time of the action, and decide again inside the write.
 */
export function decideOnUser(actor: Actor, action: UserAction, target: UserTarget, change: UserChange = {}): Decision {
  if (!can(actor, action)) return deny(403, 'You do not have permission to do that');
  if (target.id === actor.id) {
    if (action === 'users.read') return { ok: true };
    return action === 'users.terminate'
      ? deny(400, 'Cannot delete your own account')
      : deny(403, 'Use your account page to change your own account');
  }
  if (!canSee(actor, target)) return deny(404, 'User not found');
  if (action === 'users.read') return { ok: true };
  if (target.isOwner) return deny(403, 'The owner account cannot be changed');
  if (target.role === 'admin') {
    if (!actor.isOwner) return deny(403, 'Only the owner can manage other admins');
    if (action === 'users.changeRole') return deny(403, "An admin's role cannot be changed here");
  }
  if (action === 'users.transfer' && target.role !== 'manager') return deny(400, 'Only a manager’s accounts can be handed over');
  if (action === 'users.changeRole' && change.role !== undefined && !(ASSIGNABLE_ROLES as readonly Role[]).includes(change.role)) {
    return deny(403, 'Roles can only be changed between worker and manager');
  }
  return { ok: true };
}

/** Whether `to` may take over the workers of manager `from`: another manager, still active. */
export function canReceiveWorkers(to: UserTarget & { isActive: boolean }, from: { id: number }): boolean {
  return to.role === 'manager' && to.isActive && to.id !== from.id;
}

/**
 * The question views and services ask: may this user do `action` (to `target`, for an action on
 * an account)? Nobody signed in may do only what anyone may.
 */
export function allows(user: Actor | null | undefined, action: Action, target?: UserTarget): boolean {
  if (target && action.startsWith('users.') && user) return decideOnUser(user, action as UserAction, target).ok;
  return can(user, action);
}

export function canCreateRole(actor: Actor, role: Role): boolean {
  return can(actor, 'users.create') && CREATABLE_ROLES[actor.role].includes(role);
}

/**
 * Whose data (contacts synced, messages sent) an actor may see: `null` means everyone's.
 * A worker sees their own; a manager theirs and that of the workers it created (the same
 * scope as `canSee`, so `workersCreatedBy` must return workers only, as of now).
 */
export function dataScope(actor: Actor, workersCreatedBy: (managerId: number) => number[]): number[] | null {
  if (actor.role === 'admin') return null;
  if (actor.role === 'manager') return [actor.id, ...workersCreatedBy(actor.id)];
  return [actor.id];
}
