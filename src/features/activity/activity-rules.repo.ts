import type { Db } from '../../db.js';
import type { FlagRule, Severity } from '../../domain/activity.js';

export interface NewFlag {
  at: string;
  userId: number | null;
  rule: FlagRule;
  severity: Severity;
  summary: string;
  activityId: number;
  /** What the rule fires once per within its window (an account, an IP, a day), or null. */
  key: string | null;
}

/** What the anomaly rules read (recent activity, recent flags) and the flags they raise. */
export function createRulesRepo(db: Db) {
  const insertFlag = db.prepare(`INSERT INTO activity_flags (at, user_id, rule, severity, summary, activity_id, dedupe_key)
    VALUES (@at, @userId, @rule, @severity, @summary, @activityId, @key)`);
  const recentFlag = db.prepare<{ rule: string; key: string; since: string }, number>(
    'SELECT 1 FROM activity_flags WHERE rule = @rule AND dedupe_key = @key AND at > @since LIMIT 1').pluck();
  const failuresOfUser = db.prepare<{ user: number; since: string }, number>(`SELECT count(*) FROM activity_log
    WHERE user_id = @user AND at > @since AND action = 'login' AND outcome = 'failure'`).pluck();
  const failuresFromIp = db.prepare<{ ip: string; since: string }, number>(`SELECT count(*) FROM activity_log
    WHERE ip = @ip AND at > @since AND action = 'login' AND outcome = 'failure'`).pluck();
  const actionsOfUser = db.prepare<{ user: number; since: string }, number>(
    'SELECT count(*) FROM activity_log WHERE user_id = @user AND at > @since').pluck();
  const earlierLogin = db.prepare<{ user: number; id: number }, number>(`SELECT 1 FROM activity_log
    WHERE user_id = @user AND action = 'login' AND outcome = 'success' AND id < @id LIMIT 1`).pluck();
  const earlierLoginFromIp = db.prepare<{ user: number; id: number; ip: string; since: string }, number>(`SELECT 1 FROM activity_log
    WHERE user_id = @user AND ip = @ip AND at > @since AND action = 'login' AND outcome = 'success' AND id < @id LIMIT 1`).pluck();

  return {
    insertFlag: (flag: NewFlag): void => {
      insertFlag.run(flag);
    },
    flaggedSince: (rule: FlagRule, key: string, since: string): boolean => recentFlag.get({ rule, key, since }) !== undefined,
    failedLoginsOfUser: (user: number, since: string): number => failuresOfUser.get({ user, since })!,
    failedLoginsFromIp: (ip: string, since: string): number => failuresFromIp.get({ ip, since })!,
    actionsOfUser: (user: number, since: string): number => actionsOfUser.get({ user, since })!,
    /** Whether the user signed in before row `id`; with `ip` and `since`, from that IP since then. */
    signedInBefore: (user: number, id: number, from?: { ip: string; since: string }): boolean =>
      (from ? earlierLoginFromIp.get({ user, id, ...from }) : earlierLogin.get({ user, id })) !== undefined,
  };
}
