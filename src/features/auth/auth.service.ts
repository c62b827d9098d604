import type { Db } from '../../db.js';
import { can, type Action } from '../../domain/permissions.js';
import type { EventsRepo } from '../activity/activity.log.js';
import type { SignInAccounts, User } from '../../domain/account.js';
import { hashPassword } from '../../passwords/password.js';
import type { AttemptPassword } from './password-attempts.js';

export type LoginOutcome =
  | { kind: 'ok'; user: User }
  | { kind: 'invalid' }
  | { kind: 'forbidden' }
  | { kind: 'throttled'; retryAfterSeconds: number };

export interface LoginMeta {
  ip: string;
  userAgent: string | null;
  channel: 'panel' | 'api';
  /** The token login about to be created, when there is one. */
  loginRef?: string;
  /** What the account must be allowed to do to sign in here (the panel needs panel.enter). */
  requires?: Action;
}

export function createAuthService(db: Db, users: SignInAccounts, attemptPassword: AttemptPassword, events: EventsRepo, now: () => Date = () => new Date()) {
  // Each outcome's writes (the attempt's settlement, last login, the activity row) commit together.
  const together = <T>(fn: () => T): T => db.transaction(fn).immediate();
  /**
   * Checks a username and password. Unknown users, wrong passwords and terminated accounts
   * all answer `invalid` after the same argon2 work; an account or IP whose budget is spent
   * answers `throttled` before any password is looked at, so a lock never confirms a right guess.
   */
  async function authenticate(username: string, password: string, meta: LoginMeta): Promise<LoginOutcome> {
    const base = { ip: meta.ip, userAgent: meta.userAgent };
    const user = users.findByUsername(username);
    const actor = { userId: user?.id ?? null, username: user?.username ?? null };
    const check = await attemptPassword(username, user?.passwordHash ?? null, password, meta.ip);
    if (check.kind === 'throttled') {
      events.record({ ...base, ...actor, action: 'login', outcome: 'denied', detail: { channel: meta.channel, reason: 'throttled' } });
      return { kind: 'throttled', retryAfterSeconds: check.retryAfterSeconds };
    }
    const { attempt } = check;
    if (!user || !check.valid || !user.isActive) {
      const reason = !user ? 'unknown_user' : !check.valid ? 'wrong_password' : 'inactive';
      together(() => {
        attempt.settle('failure');
        events.record({ ...base, ...actor, action: 'login', outcome: 'failure', detail: { channel: meta.channel, reason } });
      });
      return { kind: 'invalid' };
    }
    if (meta.requires && !can(user, meta.requires)) {
      together(() => {
        attempt.settle('success');
        events.record({ ...base, ...actor, action: 'login', outcome: 'denied', detail: { channel: meta.channel, reason: 'role' } });
      });
      return { kind: 'forbidden' };
    }
    together(() => {
      attempt.settle('success');
      users.recordLogin(user.id, meta.ip, now().toISOString());
      events.record({ ...base, ...actor, loginRef: meta.loginRef ?? null, action: 'login', outcome: 'success', detail: { channel: meta.channel } });
    });
    if (check.rehash) users.upgradeHash(user.id, await hashPassword(password));
    return { kind: 'ok', user: users.findById(user.id)! };
  }

  function recordLogout(user: User, meta: LoginMeta): void {
    events.record({ action: 'logout', outcome: 'success', userId: user.id, username: user.username, loginRef: meta.loginRef ?? null,
      ip: meta.ip, userAgent: meta.userAgent, detail: { channel: meta.channel } });
  }

  /** Links a panel sign-in to the session it opened (a hash of its id), for the activity log. */
  function recordSessionStart(user: User, ref: string | null, meta: { ip: string; userAgent: string | null }): void {
    events.record({ action: 'session.start', outcome: 'success', userId: user.id, username: user.username, loginRef: ref,
      ip: meta.ip, userAgent: meta.userAgent, detail: { channel: 'panel' } });
  }

  return { authenticate, recordLogout, recordSessionStart };
}

export type AuthService = ReturnType<typeof createAuthService>;
