import type { Db } from '../../db.js';
import type { FlagRule, Severity } from '../../domain/activity.js';

export interface NewFlag {
  at: string;
  /** The account the flag is about, or null (a burst from one IP is about the IP). */
  userId: number | null;
  ip: string | null;
  rule: FlagRule;
  severity: Severity;
  summary: string;
  /** Why the rule thinks it worth a look, in a sentence. */
  reason: string;
  activityId: number;
  /** What the rule fires once per within its window (an account, an IP, a day), or null. */
  key: string | null;
}

/** The rows a burst counted: failed sign-ins of one account or from one IP, or one user's actions, since a time. */
export type Burst = { kind: 'account_failures'; user: number } | { kind: 'ip_failures'; ip: string } | { kind: 'actions'; user: number };

const FAILED_LOGIN = "action = 'login' AND outcome = 'failure'";
const BURST_ROWS: Record<Burst['kind'], string> = {
  account_failures: `user_id = @user AND at > @since AND ${FAILED_LOGIN}`,
  ip_failures: `ip = @ip AND at > @since AND ${FAILED_LOGIN}`,
  actions: 'user_id = @user AND at > @since',
};

/** What the anomaly rules read (recent activity, recent flags) and the flags they raise, with the rows behind each. */
export function createRulesRepo(db: Db) {
  const insertFlag = db.prepare(`INSERT INTO activity_flags (at, user_id, ip, rule, severity, summary, reason, activity_id, dedupe_key)
    VALUES (@at, @userId, @ip, @rule, @severity, @summary, @reason, @activityId, @key)`);
  const linkEvent = db.prepare<{ flag: number; activity: number }>(
    'INSERT OR IGNORE INTO flag_events (flag_id, activity_id) VALUES (@flag, @activity)');
  const linkBurst = Object.fromEntries(Object.entries(BURST_ROWS).map(([kind, where]) => [kind,
    db.prepare(`INSERT OR IGNORE INTO flag_events (flag_id, activity_id) SELECT @flag, id FROM activity_log WHERE ${where}`)])) as
    Record<Burst['kind'], ReturnType<Db['prepare']>>;
  const countBurst = Object.fromEntries(Object.entries(BURST_ROWS).map(([kind, where]) => [kind,
    db.prepare(`SELECT count(*) FROM activity_log WHERE ${where}`).pluck()])) as Record<Burst['kind'], ReturnType<Db['prepare']>>;
  const recentFlag = db.prepare<{ rule: string; key: string; since: string }, number>(
    'SELECT id FROM activity_flags WHERE rule = @rule AND dedupe_key = @key AND at > @since ORDER BY id DESC LIMIT 1').pluck();
  const earlierLogin = db.prepare<{ user: number; id: number }, number>(`SELECT 1 FROM activity_log
    WHERE user_id = @user AND action = 'login' AND outcome = 'success' AND id < @id LIMIT 1`).pluck();
  const earlierLoginFromIp = db.prepare<{ user: number; id: number; ip: string; since: string }, number>(`SELECT 1 FROM activity_log
    WHERE user_id = @user AND ip = @ip AND at > @since AND action = 'login' AND outcome = 'success' AND id < @id LIMIT 1`).pluck();
  const created = db.prepare<{ user: number; target: string; since: string }, number>(`SELECT 1 FROM activity_log
    WHERE user_id = @user AND at > @since AND action = 'user.create' AND outcome = 'success' AND target_type = 'user' AND target_id = @target
    LIMIT 1`).pluck();

  const burstParams = (burst: Burst, since: string) => (burst.kind === 'ip_failures' ? { ip: burst.ip, since } : { user: burst.user, since });

  return {
    /** Raises a flag linked to its row; returns its id. */
    insertFlag: (flag: NewFlag): number => {
      const id = Number(insertFlag.run(flag).lastInsertRowid);
      linkEvent.run({ flag: id, activity: flag.activityId });
      return id;
    },
    /** Links the rows of a burst (the ones it counted) to its flag. */
    linkBurst: (flag: number, burst: Burst, since: string): void => void linkBurst[burst.kind].run({ flag, ...burstParams(burst, since) }),
    countBurst: (burst: Burst, since: string): number => countBurst[burst.kind].get(burstParams(burst, since)) as number,
    linkEvent: (flag: number, activity: number): void => void linkEvent.run({ flag, activity }),
    /** The flag this rule raised for `key` since then, if any. */
    flaggedSince: (rule: FlagRule, key: string, since: string): number | null => recentFlag.get({ rule, key, since }) ?? null,
    /** Whether the user signed in before row `id`; with `ip` and `since`, from that IP since then. */
    signedInBefore: (user: number, id: number, from?: { ip: string; since: string }): boolean =>
      (from ? earlierLoginFromIp.get({ user, id, ...from }) : earlierLogin.get({ user, id })) !== undefined,
    /** Whether `user` created the account `target` since then. */
    createdSince: (user: number, target: string, since: string): boolean => created.get({ user, target, since }) !== undefined,
  };
}
