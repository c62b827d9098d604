import type { Db } from '../../db.js';
import type { Outcome } from '../../domain/activity.js';

/** An activity_log row as stored: the chain hashes these columns, so they keep their stored names here. */
export interface ActivityRow {
  id: number;
  at: string;
  user_id: number | null;
  username: string | null;
  login_ref: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  outcome: Outcome;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

export interface CheckpointRow {
  id: number;
  at: string;
  up_to_id: number;
  last_hash: string;
  removed: number;
  /** Null only on checkpoints written before the chain was keyed (migration 007). */
  mac: string | null;
}

/** Where the keyed chain begins: rows before `keyed_from_id` were hashed without a key. */
export interface SealRow {
  id: number;
  at: string;
  keyed_from_id: number;
  legacy_rows: number;
  legacy_end_hash: string;
  legacy_checkpoint_id: number;
  key_check: string;
  mac: string;
}

const ROW_COLUMNS = 'id, at, user_id, username, login_ref, action, target_type, target_id, ip, user_agent, outcome, detail, prev_hash, hash';
const CHECKPOINT_COLUMNS = 'id, at, up_to_id, last_hash, removed, mac';

// The append-only triggers that a re-key lifts, inside its own transaction only.
const GUARDS = ['activity_log_no_update', 'activity_checkpoints_no_update', 'activity_chain_seal_no_update'];

/** The activity chain's storage: rows as stored, checkpoints and the seal, with their hashes and MACs. */
export function createChainRepo(db: Db) {
  const readSeal = db.prepare<[], SealRow>(`SELECT id, at, keyed_from_id, legacy_rows, legacy_end_hash, legacy_checkpoint_id,
    key_check, mac FROM activity_chain_seal WHERE id = 1`);
  const insertSeal = db.prepare(`INSERT INTO activity_chain_seal
      (id, at, keyed_from_id, legacy_rows, legacy_end_hash, legacy_checkpoint_id, key_check, mac)
    VALUES (1, @at, @keyed_from_id, @legacy_rows, @legacy_end_hash, @legacy_checkpoint_id, @key_check, @mac)`);
  const lastCheckpoint = db.prepare<[], CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM activity_checkpoints ORDER BY id DESC LIMIT 1`);
  const checkpointsAfter = db.prepare<[number], CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM activity_checkpoints WHERE id > ? ORDER BY id`);
  const insertCheckpoint = db.prepare(`INSERT INTO activity_checkpoints (${CHECKPOINT_COLUMNS})
    VALUES (@id, @at, @up_to_id, @last_hash, @removed, @mac)`);
  const lastRow = db.prepare<[], { id: number; hash: string }>('SELECT id, hash FROM activity_log ORDER BY id DESC LIMIT 1');
  const rowCount = db.prepare<[], number>('SELECT count(*) FROM activity_log').pluck();
  const storedCount = db.prepare<[], number>('SELECT (SELECT count(*) FROM activity_log) + (SELECT count(*) FROM activity_checkpoints)').pluck();
  const insertRow = db.prepare(`INSERT INTO activity_log (${ROW_COLUMNS})
    VALUES (@id, @at, @user_id, @username, @login_ref, @action, @target_type, @target_id, @ip, @user_agent, @outcome, @detail, @prev_hash, @hash)`);
  const rows = db.prepare<[], ActivityRow>(`SELECT ${ROW_COLUMNS} FROM activity_log ORDER BY id`);
  const rowsFrom = db.prepare<[number], ActivityRow>(`SELECT ${ROW_COLUMNS} FROM activity_log WHERE id >= ? ORDER BY id`);
  const lastBefore = db.prepare<{ before: string }, { id: number; hash: string }>(
    'SELECT id, hash FROM activity_log WHERE at < @before ORDER BY id DESC LIMIT 1');
  const countUpTo = db.prepare<{ upTo: number }, number>('SELECT count(*) FROM activity_log WHERE id <= @upTo').pluck();
  const removeUpTo = db.prepare('DELETE FROM activity_log WHERE id <= @upTo');
  const triggerSql = db.prepare<[string], string>("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?").pluck();

  return {
    readSeal: (): SealRow | null => readSeal.get() ?? null,
    insertSeal: (seal: Omit<SealRow, 'id'>): void => {
      insertSeal.run(seal);
    },
    lastCheckpoint: (): CheckpointRow | null => lastCheckpoint.get() ?? null,
    checkpointsAfter: (id: number): CheckpointRow[] => checkpointsAfter.all(id),
    insertCheckpoint: (checkpoint: CheckpointRow): void => {
      insertCheckpoint.run(checkpoint);
    },
    lastRow: () => lastRow.get() ?? null,
    rowCount: (): number => rowCount.get()!,
    /** Rows and checkpoints together: zero only before anything was ever written. */
    storedCount: (): number => storedCount.get()!,
    insertRow: (row: ActivityRow): void => {
      insertRow.run(row);
    },
    /** Every row in order, read one at a time. */
    rows: (): IterableIterator<ActivityRow> => rows.iterate(),
    rowsFrom: (id: number): ActivityRow[] => rowsFrom.all(id),
    lastRowBefore: (before: string) => lastBefore.get({ before }) ?? null,
    countUpTo: (upTo: number): number => countUpTo.get({ upTo })!,
    removeUpTo: (upTo: number): number => removeUpTo.run({ upTo }).changes,
    /**
     * Runs `rewrite` with the append-only triggers lifted, putting them back after; call inside
     * the transaction that re-keys, so no other writer ever sees them lifted.
     */
    withoutAppendOnlyGuards(rewrite: (stmts: { setRowHash(r: { id: number; prev_hash: string; hash: string }): void;
      setCheckpointMac(c: { id: number; mac: string }): void; setSealKey(s: { key_check: string; mac: string }): void }) => void): void {
      const saved = GUARDS.map((name) => triggerSql.get(name)!);
      for (const name of GUARDS) db.exec(`DROP TRIGGER ${name}`);
      const setRow = db.prepare('UPDATE activity_log SET prev_hash = @prev_hash, hash = @hash WHERE id = @id');
      const setCheckpoint = db.prepare('UPDATE activity_checkpoints SET mac = @mac WHERE id = @id');
      const setSeal = db.prepare('UPDATE activity_chain_seal SET key_check = @key_check, mac = @mac WHERE id = 1');
      rewrite({
        setRowHash: (r) => void setRow.run(r),
        setCheckpointMac: (c) => void setCheckpoint.run(c),
        setSealKey: (s) => void setSeal.run(s),
      });
      for (const sql of saved) db.exec(sql);
    },
  };
}

export type ChainRepo = ReturnType<typeof createChainRepo>;
