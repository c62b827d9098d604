import crypto from 'node:crypto';
import type { Db } from '../../db.js';
import type { EventsRepo } from '../activity/activity.log.js';
import { BadRequest, Conflict, TooManyRequests, Unauthorized } from '../../http/errors.js';
import { hashPassword } from '../../passwords/password.js';
import type { AttemptPassword } from '../auth/password-attempts.js';
import { assertPasswordAllowed, parseUsername } from './users.schemas.js';
import { createUsersRepo } from './users.repo.js';
import type { User } from '../../domain/account.js';

export interface UsersServiceOptions {
  passwordRequireClasses: boolean;
  events: EventsRepo;
  /** The current password is a guessable secret: it spends the same budget as sign-in. */
  attemptPassword: AttemptPassword;
  now?: () => Date;
}

export function createUsersService(db: Db, options: UsersServiceOptions) {
  const repo = createUsersRepo(db);
  const now = () => (options.now?.() ?? new Date()).toISOString();

  /** Creates an admin; the first admin ever created becomes the owner. */
  async function createAdmin(input: { username: string; password: string; mustChangePassword?: boolean }): Promise<User> {
    const username = parseUsername(input.username);
    assertPasswordAllowed(input.password, username, options.passwordRequireClasses);
    const passwordHash = await hashPassword(input.password);
    const id = db.transaction(() => {
      if (repo.findByUsername(username)) throw new Conflict('Username already exists', { username: 'Username already exists' });
      const isOwner = repo.countAdmins() === 0;
      const id = repo.insert({
        username, passwordHash, role: 'admin', createdBy: null, isOwner,
        mustChangePassword: input.mustChangePassword ?? false, now: now(),
      });
      options.events.record({ action: 'user.create', outcome: 'success', username: 'operator', targetType: 'user', targetId: id,
        detail: { channel: 'cli', target_username: username, role: 'admin', owner: isOwner } });
      return id;
    }).immediate();
    return repo.findById(id)!;
  }

  /**
   * On a store with no users: the configured admin becomes the owner, or one with a random
   * password that must be changed at first login. Returns the generated password, if any.
   */
  async function ensureFirstAdmin(configured: { username: string; password: string | undefined }) {
    if (repo.count() > 0) return null;
    if (configured.password !== undefined) {
      const user = await createAdmin({ username: configured.username, password: configured.password });
      return { user, generatedPassword: null };
    }
    const generatedPassword = crypto.randomBytes(18).toString('base64url');
    const user = await createAdmin({ username: configured.username, password: generatedPassword, mustChangePassword: true });
    return { user, generatedPassword };
  }

  /** Changes a user's own password: ends every other session and token of theirs. */
  async function changeOwnPassword(userId: number, currentPassword: string, newPassword: string,
    via: { channel: 'panel' | 'api'; ip: string | null; userAgent: string | null; loginRef?: string },
    inSameTransaction: (updated: User) => void = () => undefined): Promise<User> {
    const user = repo.findById(userId);
    if (!user || !user.isActive) throw new Unauthorized();
    const record = (outcome: 'success' | 'failure' | 'denied', detail: Record<string, string> = {}) =>
      options.events.record({ action: 'password.change', outcome, userId: user.id, username: user.username,
        loginRef: via.loginRef ?? null, ip: via.ip, userAgent: via.userAgent, detail: { channel: via.channel, ...detail } });
    const check = await options.attemptPassword(user.username, user.passwordHash, currentPassword, via.ip ?? 'unknown');
    if (check.kind === 'throttled') {
      record('denied', { reason: 'throttled' });
      throw new TooManyRequests(`Too many wrong passwords. Try again in ${check.retryAfterSeconds} seconds.`, check.retryAfterSeconds, 'password_throttle');
    }
    if (!check.valid) {
      db.transaction(() => {
        check.attempt.settle('failure');
        record('failure', { reason: 'wrong_current_password' });
      }).immediate();
      throw new BadRequest('Current password is incorrect', { current_password: 'Current password is incorrect' });
    }
    check.attempt.settle('success');
    // Compared as stored (NFKC): the same password in full-width letters is not a new one.
    if (currentPassword.normalize('NFKC') === newPassword.normalize('NFKC')) {
      const message = 'New password must differ from the current one';
      throw new BadRequest(message, { new_password: message });
    }
    assertPasswordAllowed(newPassword, user.username, options.passwordRequireClasses, 'new_password');
    const passwordHash = await hashPassword(newPassword);
    return db.transaction(() => {
      repo.updatePassword(user.id, passwordHash, false, now());
      const updated = repo.findById(user.id)!;
      record('success');
      inSameTransaction(updated);
      return updated;
    }).immediate();
  }

  return { repo, createAdmin, ensureFirstAdmin, changeOwnPassword };
}

export type UsersService = ReturnType<typeof createUsersService>;
