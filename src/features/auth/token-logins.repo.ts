import type { LiveLogin } from '../../domain/account.js';
import type { Db } from '../../db.js';
import type { Role } from '../../domain/roles.js';

export type RevokeReason = 'logout' | 'refresh_reuse';

/** A token login joined with its user: everything validation needs, in one primary-key read. */
export interface LoginState {
  loginId: string;
  userId: number;
  loginCredentialVersion: number;
  expiresAt: string;
  revokedAt: string | null;
  username: string;
  role: Role;
  isOwner: boolean;
  isActive: boolean;
  mustChangePassword: boolean;
  userCredentialVersion: number;
  userCreatedAt: string;
}

interface LoginStateRow {
  login_id: string;
  user_id: number;
  login_cv: number;
  expires_at: string;
  revoked_at: string | null;
  username: string;
  role: Role;
  is_owner: number;
  is_active: number;
  must_change_password: number;
  user_cv: number;
  user_created_at: string;
}

interface LiveLoginRow {
  id: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
}

export interface RefreshRecord {
  jti: string;
  loginId: string;
  spentAt: string | null;
}

export function createTokenLoginsRepo(db: Db) {
  const live = db.prepare<{ userId: number; now: string }, LiveLoginRow>(
    `SELECT l.id, l.created_at, l.last_used_at, l.expires_at, l.ip, l.user_agent
    FROM token_logins l JOIN users u ON u.id = l.user_id
    WHERE l.user_id = @userId AND l.revoked_at IS NULL AND l.expires_at > @now
      AND l.credential_version = u.credential_version AND u.is_active = 1
    ORDER BY l.created_at DESC LIMIT 50`);
  const state = db.prepare<{ id: string }, LoginStateRow>(`SELECT l.id AS login_id, l.user_id,
      l.credential_version AS login_cv, l.expires_at, l.revoked_at, u.username, u.role, u.is_owner, u.is_active,
      u.must_change_password, u.credential_version AS user_cv, u.created_at AS user_created_at
    FROM token_logins l JOIN users u ON u.id = l.user_id WHERE l.id = @id`);
  const insertLogin = db.prepare(`INSERT INTO token_logins
      (id, user_id, credential_version, created_at, expires_at, last_used_at, ip, user_agent)
    VALUES (@id, @userId, @credentialVersion, @now, @expiresAt, @now, @ip, @userAgent)`);
  const extend = db.prepare('UPDATE token_logins SET expires_at = @expiresAt, last_used_at = @now WHERE id = @id');
  const revoke = db.prepare(`UPDATE token_logins SET revoked_at = @now, revoked_reason = @reason
    WHERE id = @id AND revoked_at IS NULL`);
  const setVersion = db.prepare('UPDATE token_logins SET credential_version = @version WHERE id = @id');
  const insertRefresh = db.prepare(`INSERT INTO refresh_tokens (jti, login_id, issued_at, expires_at)
    VALUES (@jti, @loginId, @now, @expiresAt)`);
  const findRefresh = db.prepare<{ jti: string }, { jti: string; login_id: string; spent_at: string | null }>(
    'SELECT jti, login_id, spent_at FROM refresh_tokens WHERE jti = @jti');
  const spend = db.prepare('UPDATE refresh_tokens SET spent_at = @now WHERE jti = @jti AND spent_at IS NULL');
  const purgeRefresh = db.prepare('DELETE FROM refresh_tokens WHERE expires_at < @now');
  const purgeLogins = db.prepare('DELETE FROM token_logins WHERE expires_at < @now');

  return {
    /** The user's token logins that still work, newest first. */
    listLive: (userId: number, now: string): LiveLogin[] =>
      live.all({ userId, now }).map((r) => ({ id: r.id, createdAt: r.created_at, lastUsedAt: r.last_used_at,
        expiresAt: r.expires_at, ip: r.ip, userAgent: r.user_agent })),
    findState: (loginId: string): LoginState | null => {
      const r = state.get({ id: loginId });
      return r
        ? {
          loginId: r.login_id, userId: r.user_id, loginCredentialVersion: r.login_cv, expiresAt: r.expires_at,
          revokedAt: r.revoked_at, username: r.username, role: r.role, isOwner: r.is_owner === 1, isActive: r.is_active === 1,
          mustChangePassword: r.must_change_password === 1, userCredentialVersion: r.user_cv, userCreatedAt: r.user_created_at,
        }
        : null;
    },
    insertLogin: (login: { id: string; userId: number; credentialVersion: number; now: string; expiresAt: string; ip: string; userAgent: string | null }) => {
      insertLogin.run(login);
    },
    extend: (id: string, expiresAt: string, now: string) => {
      extend.run({ id, expiresAt, now });
    },
    revoke: (id: string, reason: RevokeReason, now: string): boolean => revoke.run({ id, reason, now }).changes > 0,
    setCredentialVersion: (id: string, version: number) => {
      setVersion.run({ id, version });
    },
    insertRefresh: (jti: string, loginId: string, now: string, expiresAt: string) => {
      insertRefresh.run({ jti, loginId, now, expiresAt });
    },
    findRefresh: (jti: string): RefreshRecord | null => {
      const r = findRefresh.get({ jti });
      return r ? { jti: r.jti, loginId: r.login_id, spentAt: r.spent_at } : null;
    },
    spendRefresh: (jti: string, now: string): boolean => spend.run({ jti, now }).changes > 0,
    /** Expired refresh tokens and logins; a spent token is kept until it expires, for reuse detection. */
    purgeExpired: (now: string): number => purgeRefresh.run({ now }).changes + purgeLogins.run({ now }).changes,
  };
}

export type TokenLoginsRepo = ReturnType<typeof createTokenLoginsRepo>;
