import type { AttemptPassword } from '../../attempts/password-attempts.js';
import { isoTime, type Clock } from '../../clock.js';
import { writeTransaction, type Db } from '../../db.js';
import type { SignInAccounts, User } from '../../domain/account.js';
import { can, type Action } from '../../domain/permissions.js';
import { hashPassword } from '../../passwords/password.js';
import { aboutAccount } from '../../domain/activity.js';
import type { ActivityLog } from '../activity/activity-log.service.js';

export type LoginOutcome =
  | { kind: 'ok'; user: User }
  | { kind: 'invalid' }
  | { kind: 'forbidden' }
  | { kind: 'throttled'; retryAfterSeconds: number };

/** Where a sign-in (or sign-out) came from. */
export interface SignInMeta {
  ip: string;
  userAgent: string | null;
  channel: 'panel' | 'api';
  /** The token login about to be created, or the panel session's reference, when there is one. */
  loginRef?: string | null;
  /** What the account must be allowed to do to sign in here (the panel needs panel.enter). */
  requires?: Action;
}

export interface SignInDeps {
  db: Db;
  accounts: SignInAccounts;
  attemptPassword: AttemptPassword;
  activityLog: ActivityLog;
  clock: Clock;
}

/** Checking who signs in, on both surfaces, and recording sign-ins and sign-outs. */
export function createSignInService(deps: SignInDeps) {
  const { db, accounts, attemptPassword, activityLog, clock } = deps;

  /**
   * Checks a username and password. Unknown users, wrong passwords and terminated accounts
   * all answer `invalid` after the same argon2 work; an account or IP whose budget is spent
   * answers `throttled` before any password is looked at, so a lock never confirms a right guess.
   * Each outcome's writes (the attempt's settlement, last login, the activity row) commit together.
   */
  async function authenticate(username: string, password: string, meta: SignInMeta): Promise<LoginOutcome> {
    const base = { ip: meta.ip, userAgent: meta.userAgent };
    const user = accounts.findByUsername(username);
    // A sign-in is about the account it names, when that exists; an unknown name is not recorded (it may be a password).
    const actor = { userId: user?.id ?? null, username: user?.username ?? null, ...(user ? aboutAccount(user) : {}) };
    const check = await attemptPassword(username, user?.passwordHash ?? null, password, meta.ip);
    if (check.kind === 'throttled') {
      activityLog.append({ ...base, ...actor, action: 'login', outcome: 'denied', detail: { channel: meta.channel, reason: 'throttled' } });
      return { kind: 'throttled', retryAfterSeconds: check.retryAfterSeconds };
    }
    const { attempt } = check;
    if (!user || !check.valid || !user.isActive) {
      const reason = !user ? 'unknown_user' : !check.valid ? 'wrong_password' : 'inactive';
      writeTransaction(db, () => {
        attempt.settle('failure');
        activityLog.append({ ...base, ...actor, action: 'login', outcome: 'failure', detail: { channel: meta.channel, reason } });
      });
      return { kind: 'invalid' };
    }
    if (meta.requires && !can(user, meta.requires)) {
      writeTransaction(db, () => {
        attempt.settle('success');
        activityLog.append({ ...base, ...actor, action: 'login', outcome: 'denied', detail: { channel: meta.channel, reason: 'role' } });
      });
      return { kind: 'forbidden' };
    }
    writeTransaction(db, () => {
      attempt.settle('success');
      accounts.recordLogin(user.id, meta.ip, isoTime(clock()));
      activityLog.append({ ...base, ...actor, loginRef: meta.loginRef ?? null, action: 'login', outcome: 'success', detail: { channel: meta.channel } });
    });
    if (check.rehash) accounts.upgradeHash(user.id, await hashPassword(password));
    return { kind: 'ok', user: accounts.findById(user.id)! };
  }

  function recordLogout(user: { id: number; username: string }, meta: SignInMeta): void {
    activityLog.append({ action: 'logout', outcome: 'success', userId: user.id, username: user.username, ...aboutAccount(user), loginRef: meta.loginRef ?? null,
      ip: meta.ip, userAgent: meta.userAgent, detail: { channel: meta.channel } });
  }

  /** Links a panel sign-in to the session it opened (a hash of its id), for the activity log. */
  function recordSessionStart(user: User, ref: string | null, meta: { ip: string; userAgent: string | null }): void {
    activityLog.append({ action: 'session.start', outcome: 'success', userId: user.id, username: user.username, ...aboutAccount(user), loginRef: ref,
      ip: meta.ip, userAgent: meta.userAgent, detail: { channel: 'panel' } });
  }

  return { authenticate, recordLogout, recordSessionStart };
}

export type SignInService = ReturnType<typeof createSignInService>;
