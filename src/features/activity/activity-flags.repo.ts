import { statementCache, whereClause, type Db } from '../../db.js';
import type { FlagRule, Outcome, Severity } from '../../domain/activity.js';

export type FlagState = 'open' | 'acknowledged' | 'all';

export interface FlagFilters {
  rule?: FlagRule;
  severity?: Severity;
  state?: FlagState;
  userId?: number;
}

export interface Flag {
  id: number;
  at: string;
  /** The account it is about; null for a burst from one IP (see `ip`). */
  userId: number | null;
  username: string | null;
  ip: string | null;
  rule: FlagRule;
  severity: Severity;
  summary: string;
  reason: string;
  /** The row that raised it. */
  activityId: number;
  /** Every row behind it, oldest first: the raising row, and for a burst the rows of the burst. */
  eventIds: number[];
  acknowledgedBy: number | null;
  acknowledgedByName: string | null;
  acknowledgedAt: string | null;
  note: string | null;
}

/** An activity row behind a flag, as the flags page lists it. */
export interface FlagEvent {
  flagId: number;
  id: number;
  at: string;
  userId: number | null;
  username: string | null;
  action: string;
  outcome: Outcome;
  ip: string | null;
}

interface FlagRow {
  id: number; at: string; user_id: number | null; username: string | null; ip: string | null; rule: FlagRule; severity: Severity;
  summary: string; reason: string; activity_id: number; event_ids: string | null; acknowledged_by: number | null;
  acknowledged_by_name: string | null; acknowledged_at: string | null; acknowledged_note: string | null;
}

const FROM_FLAGS = `SELECT f.id, f.at, f.user_id, u.username, f.ip, f.rule, f.severity, f.summary, f.reason, f.activity_id,
    (SELECT group_concat(fe.activity_id) FROM flag_events fe WHERE fe.flag_id = f.id) AS event_ids,
    f.acknowledged_by, ab.username AS acknowledged_by_name, f.acknowledged_at, f.acknowledged_note
  FROM activity_flags f LEFT JOIN users u ON u.id = f.user_id LEFT JOIN users ab ON ab.id = f.acknowledged_by`;

const toFlag = (r: FlagRow): Flag => ({
  id: r.id, at: r.at, userId: r.user_id, username: r.username, ip: r.ip, rule: r.rule, severity: r.severity, summary: r.summary,
  reason: r.reason, activityId: r.activity_id, eventIds: r.event_ids ? r.event_ids.split(',').map(Number).sort((a, b) => a - b) : [],
  acknowledgedBy: r.acknowledged_by, acknowledgedByName: r.acknowledged_by_name, acknowledgedAt: r.acknowledged_at, note: r.acknowledged_note,
});

function where(f: FlagFilters) {
  return whereClause([
    f.state === 'open' && ['f.acknowledged_at IS NULL'],
    f.state === 'acknowledged' && ['f.acknowledged_at IS NOT NULL'],
    f.rule && ['f.rule = @rule', { rule: f.rule }],
    f.severity && ['f.severity = @severity', { severity: f.severity }],
    f.userId !== undefined && ['f.user_id = @userId', { userId: f.userId }],
  ]);
}

/** The anomaly flags as triage reads them (filters, the rows behind each, a user's open ones) and their acknowledgement. */
export function createFlagsRepo(db: Db) {
  const prepared = statementCache(db);
  const byIds = db.prepare<{ ids: string }, FlagRow>(`${FROM_FLAGS} WHERE f.id IN (SELECT value FROM json_each(@ids)) ORDER BY f.id`);
  const acknowledge = db.prepare(`UPDATE activity_flags SET acknowledged_by = @by, acknowledged_at = @at, acknowledged_note = @note
    WHERE id = @id AND acknowledged_at IS NULL`);
  // The newest rows behind each flag of a page, `perFlag` at most each (a burst can have many).
  const eventsOf = db.prepare<{ ids: string; perFlag: number }, { flag_id: number; id: number; at: string; user_id: number | null;
    username: string | null; action: string; outcome: Outcome; ip: string | null }>(`SELECT flag_id, id, at, user_id, username, action, outcome, ip
    FROM (SELECT fe.flag_id, a.id, a.at, a.user_id, a.username, a.action, a.outcome, a.ip,
            row_number() OVER (PARTITION BY fe.flag_id ORDER BY a.id DESC) AS n
          FROM flag_events fe JOIN activity_log a ON a.id = fe.activity_id
          WHERE fe.flag_id IN (SELECT value FROM json_each(@ids)))
    WHERE n <= @perFlag ORDER BY flag_id, id`);
  const openOfUser = db.prepare<{ user: number; since: string; limit: number }, FlagRow>(
    `${FROM_FLAGS} WHERE f.user_id = @user AND f.acknowledged_at IS NULL AND f.at > @since ORDER BY f.id DESC LIMIT @limit`);
  const openOfUserBySeverity = db.prepare<{ user: number; since: string }, { severity: Severity; n: number }>(`SELECT severity, count(*) AS n
    FROM activity_flags WHERE user_id = @user AND acknowledged_at IS NULL AND at > @since GROUP BY severity`);
  const openBySeverity = db.prepare<[], { severity: Severity; n: number }>(
    'SELECT severity, count(*) AS n FROM activity_flags WHERE acknowledged_at IS NULL GROUP BY severity');

  return {
    list: (f: FlagFilters, limit: number, offset: number): Flag[] => {
      const w = where(f);
      return (prepared(`${FROM_FLAGS} ${w.sql} ORDER BY f.id DESC LIMIT @limit OFFSET @offset`).all({ ...w.params, limit, offset }) as FlagRow[]).map(toFlag);
    },
    count: (f: FlagFilters): number => {
      const w = where(f);
      return (prepared(`SELECT count(*) AS n FROM activity_flags f ${w.sql}`).get(w.params) as { n: number }).n;
    },
    byIds: (ids: number[]): Flag[] => byIds.all({ ids: JSON.stringify(ids) }).map(toFlag),
    /** Records the acknowledgement unless the flag already has one; says whether it did. */
    acknowledge: (id: number, by: number, at: string, note: string | null): boolean => acknowledge.run({ id, by, at, note }).changes > 0,
    eventsOf: (flagIds: number[], perFlag: number): FlagEvent[] => eventsOf.all({ ids: JSON.stringify(flagIds), perFlag }).map((r) => ({
      flagId: r.flag_id, id: r.id, at: r.at, userId: r.user_id, username: r.username, action: r.action, outcome: r.outcome, ip: r.ip })),
    openOfUser: (user: number, since: string, limit: number): Flag[] => openOfUser.all({ user, since, limit }).map(toFlag),
    /** A user's open flags since then, by severity. */
    openOfUserBySeverity: (user: number, since: string) => openOfUserBySeverity.all({ user, since }),
    /** Every open flag, by severity. */
    openBySeverity: () => openBySeverity.all(),
  };
}

export type FlagsRepo = ReturnType<typeof createFlagsRepo>;
