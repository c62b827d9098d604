import { writeTransaction, type Db } from '../../db.js';
import type { Role } from '../../domain/roles.js';

export interface UserCounts {
  byRole: Record<Role, number>;
  active: number;
  terminated: number;
}

export interface DayCount {
  day: string;
  n: number;
}

export interface RecentFlag {
  id: number;
  at: string;
  rule: string;
  severity: string;
  summary: string;
  userId: number | null;
}

export interface TopSender {
  senderId: number;
  username: string;
  n: number;
}

/** A list of user ids as one bound parameter; null (everyone) matches every row. */
const scoped = (column: string) => `(@scope IS NULL OR ${column} IN (SELECT value FROM json_each(@scope)))`;

/**
 * The dashboard's numbers, all from small tables or indexes (daily aggregates), each limited to
 * the caller's scope: everyone for an admin, a manager's team. Messages of days rolled up come
 * from message_daily; from `liveFrom` (the first day not rolled up yet, today at the latest)
 * they are counted from the time index.
 */
export function createDashboardRepo(db: Db) {
  const counts = db.prepare<{ scope: string | null }, { role: Role; is_active: number; n: number }>(
    `SELECT role, is_active, count(*) AS n FROM users WHERE ${scoped('id')} GROUP BY role, is_active`);
  const rolledUpDays = db.prepare<{ from: string; to: string }, string>('SELECT day FROM message_rollups WHERE day >= @from AND day < @to').pluck();
  const messagesByDay = db.prepare<{ scope: string | null; from: string; liveFrom: string }, DayCount>(
    `SELECT day, sum(messages) AS n FROM message_daily WHERE day >= @from AND day < @liveFrom AND ${scoped('sender_id')} GROUP BY day
     UNION ALL
     SELECT substr(sent_at, 1, 10) AS day, count(*) AS n FROM message_logs WHERE sent_at >= @liveFrom AND ${scoped('sender_id')} GROUP BY 1`);
  const rollUpDay = db.prepare<{ day: string; next: string }>(`INSERT INTO message_daily (day, sender_id, messages)
    SELECT @day, sender_id, count(*) FROM message_logs WHERE sent_at >= @day AND sent_at < @next GROUP BY sender_id`);
  const rolledUp = db.prepare<{ day: string }, number>('SELECT 1 FROM message_rollups WHERE day = @day').pluck();
  const markRolledUp = db.prepare<{ day: string }>('INSERT INTO message_rollups (day) VALUES (@day)');
  const loginsByDay = db.prepare<{ scope: string | null; from: string }, { day: string; outcome: string; n: number }>(
    `SELECT day, outcome, sum(events) AS n FROM activity_daily
     WHERE action = 'login' AND day >= @from AND ${scoped('user_id')} GROUP BY day, outcome`);
  const openFlags = db.prepare<{ scope: string | null }, number>(
    `SELECT count(*) FROM activity_flags WHERE acknowledged_at IS NULL AND ${scoped('user_id')}`).pluck();
  const flagsByRule = db.prepare<{ scope: string | null; from: string }, { rule: string; n: number }>(
    `SELECT rule, count(*) AS n FROM activity_flags WHERE at >= @from AND ${scoped('user_id')} GROUP BY rule`);
  const recentFlags = db.prepare<{ scope: string | null }, { id: number; at: string; rule: string; severity: string; summary: string; user_id: number | null }>(
    `SELECT id, at, rule, severity, summary, user_id FROM activity_flags
     WHERE acknowledged_at IS NULL AND ${scoped('user_id')} ORDER BY id DESC LIMIT 8`);
  const topSenders = db.prepare<{ scope: string | null; from: string; liveFrom: string }, { sender_id: number; username: string; n: number }>(
    `SELECT t.sender_id, u.username, sum(t.n) AS n FROM (
       SELECT sender_id, messages AS n FROM message_daily WHERE day >= @from AND day < @liveFrom AND ${scoped('sender_id')}
       UNION ALL
       -- Days not rolled up, from the time index (the planner would otherwise walk every sender's whole history).
       SELECT sender_id, count(*) FROM message_logs INDEXED BY message_logs_time
       WHERE sent_at >= @liveFrom AND ${scoped('sender_id')} GROUP BY sender_id
     ) t JOIN users u ON u.id = t.sender_id GROUP BY t.sender_id ORDER BY n DESC LIMIT 5`);

  const param = (scope: number[] | null) => (scope ? JSON.stringify(scope) : null);

  return {
    userCounts: (scope: number[] | null): UserCounts => {
      const result: UserCounts = { byRole: { worker: 0, manager: 0, admin: 0 }, active: 0, terminated: 0 };
      for (const row of counts.all({ scope: param(scope) })) {
        if (row.is_active === 1) {
          result.byRole[row.role] += row.n;
          result.active += row.n;
        } else {
          result.terminated += row.n;
        }
      }
      return result;
    },
    /** The days from `from` up to (not including) `to` already rolled up. */
    rolledUpDays: (from: string, to: string): Set<string> => new Set(rolledUpDays.all({ from, to })),
    /** Rolls finished days into message_daily, once each (sent_at is server time, so they no longer change). */
    rollUpMessages: (finishedDays: string[]): number => writeTransaction(db, () => {
      const days = finishedDays.filter((day) => rolledUp.get({ day }) === undefined);
      for (const day of days) {
        rollUpDay.run({ day, next: new Date(Date.parse(day) + 86_400_000).toISOString().slice(0, 10) });
        markRolledUp.run({ day });
      }
      return days.length;
    }),
    messagesByDay: (scope: number[] | null, from: string, liveFrom: string): DayCount[] => messagesByDay.all({ scope: param(scope), from, liveFrom }),
    loginsByDay: (scope: number[] | null, from: string) => loginsByDay.all({ scope: param(scope), from }),
    openFlags: (scope: number[] | null): number => openFlags.get({ scope: param(scope) })!,
    flagsByRule: (scope: number[] | null, from: string) => flagsByRule.all({ scope: param(scope), from }),
    recentFlags: (scope: number[] | null): RecentFlag[] => recentFlags.all({ scope: param(scope) })
      .map((f) => ({ id: f.id, at: f.at, rule: f.rule, severity: f.severity, summary: f.summary, userId: f.user_id })),
    topSenders: (scope: number[] | null, from: string, liveFrom: string): TopSender[] => topSenders.all({ scope: param(scope), from, liveFrom })
      .map((s) => ({ senderId: s.sender_id, username: s.username, n: s.n })),
  };
}
