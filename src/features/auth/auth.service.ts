import type { UsersRepo, User } from '../users/users.repo.js';
import { needsRehash, hashPassword, verifyAgainstDummy, verifyPassword } from './password.js';
import type { Throttle } from './throttle.js';

export type LoginOutcome =
  | { kind: 'ok'; user: User }
  | { kind: 'invalid' }
  | { kind: 'throttled'; retryAfterSeconds: number };

export function createAuthService(users: UsersRepo, throttle: Throttle, now: () => Date = () => new Date()) {
  /**
   * Checks a username and password. Unknown users, wrong passwords and terminated accounts
   * all answer `invalid` after the same argon2 work; a locked account or IP answers
   * `throttled` before any password is looked at, so a lock never confirms a right guess.
   */
  async function authenticate(username: string, password: string, ip: string): Promise<LoginOutcome> {
    const retryAfterSeconds = throttle.retryAfter(username, ip);
    if (retryAfterSeconds > 0) return { kind: 'throttled', retryAfterSeconds };

    const user = users.findByUsername(username);
    const valid = user ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
    if (!user || !valid || !user.isActive) {
      throttle.recordFailure(username, ip);
      return { kind: 'invalid' };
    }
    throttle.recordSuccess(username);
    users.recordLogin(user.id, ip, now().toISOString());
    if (needsRehash(user.passwordHash)) users.upgradeHash(user.id, await hashPassword(password));
    return { kind: 'ok', user: users.findById(user.id)! };
  }

  return { authenticate };
}

export type AuthService = ReturnType<typeof createAuthService>;
