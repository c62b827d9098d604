import { aboutAccount } from '../../domain/activity.js';
import type { AttemptPassword } from '../../attempts/password-attempts.js';
import { isoTime, type Clock } from '../../clock.js';
import { writeTransaction, type Db } from '../../db.js';
import type { OwnAccounts, User } from '../../domain/account.js';
import type { ActorContext } from '../../domain/principal.js';
import { BadRequest, TooManyRequests, Unauthorized } from '../../errors.js';
import { hashPassword } from '../../passwords/password.js';
import { assertPasswordAllowed } from '../../passwords/password-policy.js';
import type { ActivityLog } from '../activity/activity-log.service.js';
import type { TokenService } from '../auth/tokens.service.js';

export interface AccountServiceDeps {
  db: Db;
  accounts: OwnAccounts;
  /** The current password is a guessable secret: it spends the same budget as sign-in. */
  attemptPassword: AttemptPassword;
  activityLog: ActivityLog;
  /** The token login a change is made through stays signed in. */
  tokens: Pick<TokenService, 'keepLogin'>;
  passwordRequireClasses: boolean;
  clock: Clock;
}

/** One's own account: changing one's password, which ends every other session and token of one's own. */
export function createAccountService(deps: AccountServiceDeps) {
  const { db, accounts, activityLog } = deps;

  async function changeOwnPassword(actor: ActorContext, currentPassword: string, newPassword: string): Promise<User> {
    const user = accounts.findById(actor.id);
    if (!user || !user.isActive) throw new Unauthorized();
    const record = (outcome: 'success' | 'failure' | 'denied', detail: Record<string, string> = {}) =>
      activityLog.append({ action: 'password.change', outcome, userId: user.id, username: user.username, ...aboutAccount(user),
        loginRef: actor.loginRef ?? null, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null, detail: { channel: actor.channel, ...detail } });
    const check = await deps.attemptPassword(user.username, user.passwordHash, currentPassword, actor.ip ?? 'unknown');
    if (check.kind === 'throttled') {
      record('denied', { reason: 'throttled' });
      throw new TooManyRequests(`Too many wrong passwords. Try again in ${check.retryAfterSeconds} seconds.`, check.retryAfterSeconds, 'password_throttle');
    }
    if (!check.valid) {
      writeTransaction(db, () => {
        check.attempt.settle('failure');
        record('failure', { reason: 'wrong_current_password' });
      });
      throw new BadRequest('Current password is incorrect', { current_password: 'Current password is incorrect' });
    }
    check.attempt.settle('success');
    // Compared as stored (NFKC): the same password in full-width letters is not a new one.
    if (currentPassword.normalize('NFKC') === newPassword.normalize('NFKC')) {
      const message = 'New password must differ from the current one';
      throw new BadRequest(message, { new_password: message });
    }
    assertPasswordAllowed(newPassword, { username: user.username, requireClasses: deps.passwordRequireClasses, field: 'new_password' });
    const passwordHash = await hashPassword(newPassword);
    return writeTransaction(db, () => {
      accounts.updatePassword(user.id, passwordHash, false, isoTime(deps.clock()));
      const updated = accounts.findById(user.id)!;
      record('success');
      if (actor.channel === 'api' && actor.loginRef) deps.tokens.keepLogin(actor.loginRef, updated.credentialVersion);
      return updated;
    });
  }

  return { changeOwnPassword };
}

export type AccountService = ReturnType<typeof createAccountService>;
