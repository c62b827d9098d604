import { statementCache, whereClause, type Db } from '../../db.js';
import type { FlagRule, Outcome, Severity } from '../../domain/activity.js';

export interface ActivityFilters {
  userId?: number;
  action?: string;
  outcome?: Outcome;
  from?: string;
  to?: string;
  beforeId?: number;
}

/** One row of the activity log, as read. */
export interface ActivityEntry {
  id: number;
  at: string;
  userId: number | null;
  username: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  outcome: Outcome;
  /** The stored JSON text of the event's details, or null. */
  detail: string | null;
}

export interface Flag {
  id: number;
  at: string;
  userId: number | null;
  username: string | null;
  rule: FlagRule;
  severity: Severity;
  summary: string;
  activityId: number;
  acknowledgedBy: number | null;
  acknowledgedAt: string | null;
}

export const SEVERITY_WEIGHT: Record<Severity, number> = { low: 1, medium: 3, high: 5 };

interface EntryRow {
  id: number; at: string; user_id: number | null; username: string | null; action: string; target_type: string | null;
  target_id: string | null; ip: string | null; user_agent: string | null; outcome: Outcome; detail: string | null;
}

interface FlagRow {
  id: number; at: string; user_id: number | null; username: string | null; rule: FlagRule; severity: Severity; summary: string;
  activity_id: number; acknowledged_by: number | null; acknowledged_at: string | null;
}

const ENTRY_COLUMNS = 'a.id, a.at, a.user_id, a.username, a.action, a.target_type, a.target_id, a.ip, a.user_agent, a.outcome, a.detail';
const FLAG_COLUMNS = `f.id, f.at, f.user_id, u.username, f.rule, f.severity, f.summary, f.activity_id, f.acknowledged_by, f.acknowledged_at
  FROM activity_flags f LEFT JOIN users u ON u.id = f.user_id`;

const toEntry = (r: EntryRow): ActivityEntry => ({ id: r.id, at: r.at, userId: r.user_id, username: r.username, action: r.action,
  targetType: r.target_type, targetId: r.target_id, ip: r.ip, userAgent: r.user_agent, outcome: r.outcome, detail: r.detail });

const toFlag = (r: FlagRow): Flag => ({ id: r.id, at: r.at, userId: r.user_id, username: r.username, rule: r.rule, severity: r.severity,
  summary: r.summary, activityId: r.activity_id, acknowledgedBy: r.acknowledged_by, acknowledgedAt: r.acknowledged_at });

function where(f: ActivityFilters) {
  return whereClause([
    f.userId !== undefined && ['a.user_id = @userId', { userId: f.userId }],
    f.action && ['a.action = @action', { action: f.action }],
    f.outcome && ['a.outcome = @outcome', { outcome: f.outcome }],
    f.from && ['a.at >= @from', { from: f.from }],
    f.to && ['a.at < @to', { to: f.to }],
    f.beforeId !== undefined && ['a.id < @beforeId', { beforeId: f.beforeId }],
  ]);
}

/** Reading the activity log and its flags, and acknowledging flags. */
export function createActivityRepo(db: Db) {
  const prepared = statementCache(db);
  const acknowledge = db.prepare(`UPDATE activity_flags SET acknowledged_by = @by, acknowledged_at = @at
    WHERE id = @id AND acknowledged_at IS NULL`);
  const flagById = db.prepare<{ id: number }, FlagRow>(`SELECT ${FLAG_COLUMNS} WHERE f.id = @id`);
  const riskOf = db.prepare<{ user: number; since: string }, { severity: Severity; n: number }>(`SELECT severity, count(*) AS n
    FROM activity_flags WHERE user_id = @user AND acknowledged_at IS NULL AND at > @since GROUP BY severity`);

  return {
    listPage: (f: ActivityFilters, limit: number, offset: number): ActivityEntry[] => {
      const w = where(f);
      return (prepared(`SELECT ${ENTRY_COLUMNS} FROM activity_log a ${w.sql} ORDER BY a.id DESC LIMIT @limit OFFSET @offset`)
        .all({ ...w.params, limit, offset }) as EntryRow[]).map(toEntry);
    },
    count: (f: ActivityFilters): number => {
      const w = where(f);
      return (prepared(`SELECT count(*) AS n FROM activity_log a ${w.sql}`).get(w.params) as { n: number }).n;
    },
    flags: (f: { acknowledged?: boolean; userId?: number; limit: number }): Flag[] => {
      const w = whereClause([
        f.acknowledged !== undefined && [f.acknowledged ? 'f.acknowledged_at IS NOT NULL' : 'f.acknowledged_at IS NULL'],
        f.userId !== undefined && ['f.user_id = @userId', { userId: f.userId }],
      ]);
      return (prepared(`SELECT ${FLAG_COLUMNS} ${w.sql} ORDER BY f.id DESC LIMIT @limit`).all({ ...w.params, limit: f.limit }) as FlagRow[]).map(toFlag);
    },
    findFlag: (id: number): Flag | null => {
      const row = flagById.get({ id });
      return row ? toFlag(row) : null;
    },
    acknowledge: (id: number, by: number, at: string): boolean => acknowledge.run({ id, by, at }).changes > 0,
    /** Sum of a user's open flags over the window, weighted by severity. */
    riskScore: (user: number, since: string): number =>
      riskOf.all({ user, since }).reduce((sum, r) => sum + SEVERITY_WEIGHT[r.severity] * r.n, 0),
  };
}

export type ActivityRepo = ReturnType<typeof createActivityRepo>;
