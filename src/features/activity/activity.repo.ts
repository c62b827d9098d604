import { statementCache, whereClause, type Db } from '../../db.js';
import { GENESIS_HASH, sameMac, type ActivityRow, type ChainStore, type CheckpointRow, type SealRow } from './activity.chain.js';
import { hashRow } from './activity.log.js';
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

/** What audit:verify reports: the record that fails (`row 12`, `checkpoint 3`, `seal`) and why. */
export interface ChainProblem {
  where: string;
  reason: string;
}

export function createActivityRepo(db: Db, chain: ChainStore) {
  const prepared = statementCache(db);
  const acknowledge = db.prepare(`UPDATE activity_flags SET acknowledged_by = @by, acknowledged_at = @at
    WHERE id = @id AND acknowledged_at IS NULL`);
  const flagById = db.prepare<{ id: number }, FlagRow>(`SELECT ${FLAG_COLUMNS} WHERE f.id = @id`);
  const riskOf = db.prepare<{ user: number; since: string }, { severity: Severity; n: number }>(`SELECT severity, count(*) AS n
    FROM activity_flags WHERE user_id = @user AND acknowledged_at IS NULL AND at > @since GROUP BY severity`);
  const lastBefore = db.prepare<{ before: string }, { id: number; hash: string }>(
    'SELECT id, hash FROM activity_log WHERE at < @before ORDER BY id DESC LIMIT 1');
  const countUpTo = db.prepare<{ upTo: number }, number>('SELECT count(*) FROM activity_log WHERE id <= @upTo').pluck();
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
    /** The first record of the chain that does not verify under the chain key, or null. */
    firstProblem: (): ChainProblem | null => verifyChain(db, chain),
    /** Removes rows older than `before`, leaving a signed checkpoint from which the chain continues. */
    applyRetention: (before: string, now: string): number => db.transaction(() => {
      const last = lastBefore.get({ before });
      if (!last) return 0;
      chain.seal(now);
      chain.addCheckpoint({ at: now, up_to_id: last.id, last_hash: last.hash, removed: countUpTo.get({ upTo: last.id })! });
      return removeUpTo.run({ upTo: last.id }).changes;
    }).immediate(),
  };
}

export type ActivityRepo = ReturnType<typeof createActivityRepo>;

/**
 * Checks the seal, every checkpoint written since it, and each row from the latest checkpoint
 * (or the start): rows before the seal against their SHA-256 chain, which must end where the
 * seal says; rows after it against their HMAC. The newest rows can still be cut off unseen.
 */
export function verifyChain(db: Db, chain: ChainStore): ChainProblem | null {
  const seal = chain.readSeal();
  if (!seal) {
    const empty = db.prepare('SELECT (SELECT count(*) FROM activity_log) + (SELECT count(*) FROM activity_checkpoints)').pluck().get() === 0;
    return empty ? null : { where: 'seal', reason: 'is missing although rows exist (start the service once to seal rows written before the keyed chain)' };
  }
  const sealProblem = checkSeal(seal, chain);
  if (sealProblem) return sealProblem;
  const checkpoints = db.prepare('SELECT id, at, up_to_id, last_hash, removed, mac FROM activity_checkpoints WHERE id > ? ORDER BY id')
    .all(seal.legacy_checkpoint_id) as CheckpointRow[];
  const unsigned = checkpoints.find((c) => !sameMac(c.mac, chain.macs.checkpoint(c)));
  if (unsigned) return { where: `checkpoint ${unsigned.id}`, reason: 'is not signed with the chain key (rows may have been deleted behind it)' };
  const latest = chain.lastCheckpoint();
  if (latest && latest.id <= seal.legacy_checkpoint_id) {
    return { where: `checkpoint ${latest.id}`, reason: 'predates the seal, but the signed copy made at sealing is gone' };
  }
  let previous = latest?.last_hash ?? GENESIS_HASH;
  // Unless retention has removed them all, the rows before the seal must end on its hash.
  let legacyEnd = (latest?.up_to_id ?? 0) >= seal.keyed_from_id - 1 ? null : seal.legacy_end_hash;
  const legacyCut = { reason: 'the rows before the seal do not end where it says (removed or rewritten)' };
  for (const row of db.prepare('SELECT * FROM activity_log ORDER BY id').iterate() as IterableIterator<ActivityRow>) {
    if (legacyEnd !== null && row.id >= seal.keyed_from_id) {
      if (previous !== legacyEnd) return { where: `row ${row.id}`, ...legacyCut };
      legacyEnd = null;
    }
    if (row.prev_hash !== previous) return { where: `row ${row.id}`, reason: 'its link to the previous row does not match' };
    if (!rowMatches(row, seal, chain)) return { where: `row ${row.id}`, reason: 'its content does not match its hash' };
    previous = row.hash;
  }
  return legacyEnd !== null && previous !== legacyEnd ? { where: 'seal', ...legacyCut } : null;
}

function checkSeal(seal: SealRow, chain: ChainStore): ChainProblem | null {
  if (!sameMac(seal.key_check, chain.macs.keyCheck)) {
    return { where: 'seal', reason: 'was made with a different SESSION_SECRET: run with the secret the service writes with' };
  }
  const { id: _id, mac, ...content } = seal;
  return sameMac(mac, chain.macs.seal(content)) ? null : { where: 'seal', reason: 'does not match its MAC' };
}

function rowMatches(row: ActivityRow, seal: SealRow, chain: ChainStore): boolean {
  const { hash, ...content } = row;
  if (row.id >= seal.keyed_from_id) return sameMac(hash, chain.macs.row(content));
  const { id: _id, ...legacy } = content;
  return hashRow(legacy) === hash;
}
