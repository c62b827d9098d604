import { isoTime, systemClock, type Clock } from '../../clock.js';
import type { ActivitySettings } from '../../config.js';
import { writeTransaction, type Db } from '../../db.js';
import { createActivityLog } from '../activity/activity-log.service.js';
import { bumpCredentials, endAllLogins, findUser, terminateUser, type SecurityChange } from './restore.repo.js';

const OPERATOR = { outcome: 'success' as const, username: 'operator', targetType: 'user' };
const BUMPS = new Set(['user.role_change', 'user.password_reset', 'user.sign_out_everywhere', 'password.change']);

/** Ends every token login and session of the restored database, recorded in its activity log. */
export function endAccess(db: Db, activity: ActivitySettings, backup: { name: string; createdAt: string }, clock: Clock = systemClock) {
  const activityLog = createActivityLog({ db, settings: activity, clock });
  return writeTransaction(db, () => {
    const ended = endAllLogins(db, isoTime(clock()));
    activityLog.append({ ...OPERATOR, action: 'backup.restore', targetType: 'backup', targetId: backup.name,
      detail: { backup: backup.name, backup_created_at: backup.createdAt, logins_revoked: ended.logins, users_signed_out: ended.users } });
    return ended;
  });
}

export interface Reapplied {
  terminated: string[];
  bumped: string[];
}

/**
 * Re-applies, on the restored database, the terminations still in force (a later reactivation
 * cancels one) and the credential bumps made after the backup, each recorded in the activity
 * log with the row it repeats. Role changes and password resets are listed, not replayed: the
 * log holds no password hash, and a role is an admin's decision to make again.
 */
export function reapplyChanges(db: Db, activity: ActivitySettings, changes: SecurityChange[], clock: Clock = systemClock): Reapplied {
  const activityLog = createActivityLog({ db, settings: activity, clock });
  const lastStatus = new Map<number, SecurityChange>();
  for (const c of changes) if (c.targetId !== null && (c.action === 'user.terminate' || c.action === 'user.reactivate')) lastStatus.set(c.targetId, c);
  const done: Reapplied = { terminated: [], bumped: [] };
  writeTransaction(db, () => {
    const now = isoTime(clock());
    for (const change of changes) {
      const user = change.targetId === null ? null : findUser(db, change.targetId);
      if (!user) continue;
      const detail = { target_username: user.username, target_role: user.role, reapplied_from_row: change.id, original_action: change.action };
      if (change.action === 'user.terminate' && lastStatus.get(user.id) === change && terminateUser(db, user.id, now)) {
        activityLog.append({ ...OPERATOR, action: 'user.terminate', targetId: user.id, detail });
        done.terminated.push(user.username);
      } else if (BUMPS.has(change.action) && bumpCredentials(db, user.id, now)) {
        activityLog.append({ ...OPERATOR, action: 'user.sign_out_everywhere', targetId: user.id, detail });
        done.bumped.push(user.username);
      }
    }
  });
  return done;
}
