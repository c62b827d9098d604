import { statementCache, whereClause, type Db } from '../../db.js';
import { GENESIS_HASH, hashRow, type ActivityRow } from './activity.log.js';
import type { FlagRule, Severity } from './activity.rules.js';

export interface ActivityFilters {
  userId?: number;
  action?: string;
  outcome?: 'success' | 'failure' | 'denied';
  from?: string;
  to?: string;
  beforeId?: number;
}

export interface FlagRow {
  id: number;
  at: string;
  user_id: number | null;
  username: string | null;
  rule: FlagRule;
  severity: Severity;
  summary: string;
  activity_id: number;
  acknowledged_by: number | null;
  acknowledged_at: string | null;
}

export const SEVERITY_WEIGHT: Record<Severity, number> = { low: 1, medium: 3, high: 5 };

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

const FLAG_COLUMNS = `f.id, f.at, f.user_id, u.username, f.rule, f.severity, f.summary, f.activity_id, f.acknowledged_by, f.acknowledged_at
  FROM activity_flags f LEFT JOIN users u ON u.id = f.user_id`;

export function createActivityRepo(db: Db) {
  const prepared = statementCache(db);
  const acknowledge = db.prepare(`UPDATE activity_flags SET acknowledged_by = @by, acknowledged_at = @at
    WHERE id = @id AND acknowledged_at IS NULL`);
  const flagById = db.prepare<{ id: number }, FlagRow>(`SELECT ${FLAG_COLUMNS} WHERE f.id = @id`);
  const riskOf = db.prepare<{ user: number; since: string }, { severity: Severity; n: number }>(`SELECT severity, count(*) AS n
    FROM activity_flags WHERE user_id = @user AND acknowledged_at IS NULL AND at > @since GROUP BY severity`);
  const lastCheckpoint = db.prepare<[], { up_to_id: number; last_hash: string }>(
    'SELECT up_to_id, last_hash FROM activity_checkpoints ORDER BY id DESC LIMIT 1');
  const lastBefore = db.prepare<{ before: string }, { id: number; hash: string }>(
    'SELECT id, hash FROM activity_log WHERE at < @before ORDER BY id DESC LIMIT 1');
  const addCheckpoint = db.prepare(`INSERT INTO activity_checkpoints (at, up_to_id, last_hash, removed)
    VALUES (@at, @upTo, @hash, (SELECT count(*) FROM activity_log WHERE id <= @upTo))`);
  const removeUpTo = db.prepare('DELETE FROM activity_log WHERE id <= @upTo');

  return {
    listPage: (f: ActivityFilters, limit: number, offset: number): ActivityRow[] => {
      const w = where(f);
      return prepared(`SELECT * FROM activity_log a ${w.sql} ORDER BY a.id DESC LIMIT @limit OFFSET @offset`)
        .all({ ...w.params, limit, offset }) as ActivityRow[];
    },
    count: (f: ActivityFilters): number => {
      const w = where(f);
      return (prepared(`SELECT count(*) AS n FROM activity_log a ${w.sql}`).get(w.params) as { n: number }).n;
    },
    flags: (f: { acknowledged?: boolean; userId?: number; limit: number }): FlagRow[] => {
      const clauses = [f.acknowledged === undefined ? null : f.acknowledged ? 'f.acknowledged_at IS NOT NULL' : 'f.acknowledged_at IS NULL',
        f.userId === undefined ? null : 'f.user_id = @userId'].filter(Boolean);
      return prepared(`SELECT ${FLAG_COLUMNS} ${clauses.length ? 'WHERE ' + clauses.join(' AND ') : ''} ORDER BY f.id DESC LIMIT @limit`)
        .all({ limit: f.limit, ...(f.userId === undefined ? {} : { userId: f.userId }) }) as FlagRow[];
    },
    findFlag: (id: number): FlagRow | null => flagById.get({ id }) ?? null,
    acknowledge: (id: number, by: number, at: string): boolean => acknowledge.run({ id, by, at }).changes > 0,
    /** Sum of a user's open flags over the window, weighted by severity. */
    riskScore: (user: number, since: string): number =>
      riskOf.all({ user, since }).reduce((sum, r) => sum + SEVERITY_WEIGHT[r.severity] * r.n, 0),
    /**
     * Walks the chain from the last checkpoint (or the start) and returns the id of the first
     * row whose links or hash do not match, or null when all do.
     */
    firstBrokenRow: (): { id: number; reason: string } | null => {
      const checkpoint = lastCheckpoint.get();
      let previous = checkpoint?.last_hash ?? GENESIS_HASH;
      for (const row of db.prepare('SELECT * FROM activity_log ORDER BY id').iterate() as IterableIterator<ActivityRow>) {
        if (row.prev_hash !== previous) return { id: row.id, reason: 'its link to the previous row does not match' };
        const { id: _id, hash, ...content } = row;
        if (hashRow(content) !== hash) return { id: row.id, reason: 'its content does not match its hash' };
        previous = hash;
      }
      return null;
    },
    /** Removes rows older than `before`, leaving a checkpoint from which the chain continues. */
    applyRetention: (before: string, now: string): number => db.transaction(() => {
      const last = lastBefore.get({ before });
      if (!last) return 0;
      addCheckpoint.run({ at: now, upTo: last.id, hash: last.hash });
      return removeUpTo.run({ upTo: last.id }).changes;
    }).immediate(),
  };
}

export type ActivityRepo = ReturnType<typeof createActivityRepo>;
