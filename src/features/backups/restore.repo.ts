import type { Db } from '../../db.js';

/** Activity actions that change who can get in; a restore lists those made after its backup. */
export const SECURITY_ACTIONS = [
  'user.terminate', 'user.reactivate', 'user.role_change', 'user.password_reset', 'user.sign_out_everywhere',
  'password.change', 'token.refresh_reuse', 'user.unlock',
] as const;

export interface SecurityChange {
  id: number;
  at: string;
  action: string;
  actor: string | null;
  targetId: number | null;
  targetUsername: string | null;
  detail: string | null;
}

/** Security changes recorded after `since`, oldest first, from a (read-only) database. */
export function securityChangesSince(db: Db, since: string): SecurityChange[] {
  const placeholders = SECURITY_ACTIONS.map(() => '?').join(', ');
  const rows = db.prepare(`SELECT id, at, action, username, user_id, target_type, target_id, detail FROM activity_log
    WHERE at > ? AND outcome = 'success' AND action IN (${placeholders}) ORDER BY id`).all(since, ...SECURITY_ACTIONS) as Array<{
    id: number; at: string; action: string; username: string | null; user_id: number | null;
    target_type: string | null; target_id: string | null; detail: string | null; }>;
  return rows.map((r) => {
    const detail = r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : {};
    // Own-password changes act on the actor; the others name their target.
    const targetId = r.target_type === 'user' && r.target_id !== null ? Number(r.target_id) : r.user_id;
    const targetUsername = typeof detail.target_username === 'string' ? detail.target_username : r.username;
    return { id: r.id, at: r.at, action: r.action, actor: r.username, targetId, targetUsername, detail: r.detail };
  });
}

/**
 * Ends every token login and panel session of the restored database: refresh tokens are
 * revoked with their logins, and each user's credential version moves on, so access tokens
 * and sessions issued before (from the backup's time or after it) no longer match.
 */
export function endAllLogins(db: Db, now: string): { logins: number; users: number } {
  const logins = db.prepare(`UPDATE token_logins SET revoked_at = @now, revoked_reason = 'admin'
    WHERE revoked_at IS NULL`).run({ now }).changes;
  const users = db.prepare('UPDATE users SET credential_version = credential_version + 1, updated_at = @now').run({ now }).changes;
  return { logins, users };
}

export function findUser(db: Db, id: number): { id: number; username: string; role: string; isActive: boolean } | null {
  const row = db.prepare('SELECT id, username, role, is_active FROM users WHERE id = ?').get(id) as
    { id: number; username: string; role: string; is_active: number } | undefined;
  return row ? { id: row.id, username: row.username, role: row.role, isActive: row.is_active === 1 } : null;
}

export function terminateUser(db: Db, id: number, now: string): boolean {
  return db.prepare(`UPDATE users SET is_active = 0, terminated_at = @now, terminated_by = NULL,
    credential_version = credential_version + 1, updated_at = @now WHERE id = @id AND is_active = 1`).run({ id, now }).changes > 0;
}

export function bumpCredentials(db: Db, id: number, now: string): boolean {
  return db.prepare('UPDATE users SET credential_version = credential_version + 1, updated_at = @now WHERE id = @id')
    .run({ id, now }).changes > 0;
}
