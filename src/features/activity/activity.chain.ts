import crypto from 'node:crypto';
import type { Db } from '../../db.js';
import type { Outcome } from '../../domain/activity.js';

/** An activity_log row as stored (the chain hashes these columns). */
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

/**
 * HMAC-SHA256 under the chain key for rows, checkpoints and the seal; each kind is tagged so
 * a MAC made for one can never pass as another. `keyCheck` identifies the key without
 * revealing it, so a wrong SESSION_SECRET is told apart from tampering.
 */
export function createChainMacs(key: Buffer) {
  const mac = (...parts: unknown[]) => crypto.createHmac('sha256', key).update(JSON.stringify(parts)).digest('hex');
  return {
    keyCheck: mac('key-check'),
    row: (r: Omit<ActivityRow, 'hash'>) => mac('row', r.id, r.prev_hash, r.at, r.user_id, r.username, r.login_ref, r.action,
      r.target_type, r.target_id, r.ip, r.user_agent, r.outcome, r.detail),
    checkpoint: (c: Omit<CheckpointRow, 'mac'>) => mac('checkpoint', c.id, c.at, c.up_to_id, c.last_hash, c.removed),
    seal: (s: Omit<SealRow, 'id' | 'mac'>) => mac('seal', s.at, s.keyed_from_id, s.legacy_rows, s.legacy_end_hash,
      s.legacy_checkpoint_id, s.key_check),
  };
}

export type ChainMacs = ReturnType<typeof createChainMacs>;

/** Constant-time comparison of two hex MACs (a stored one may be missing or malformed). */
export function sameMac(stored: string | null, expected: string): boolean {
  if (stored === null || stored.length !== expected.length) return false;
  return crypto.timingSafeEqual(Buffer.from(stored), Buffer.from(expected));
}

export const GENESIS_HASH = '0'.repeat(64);

/**
 * The chain's own records: the seal and the checkpoints, written with their MACs. Call inside
 * a transaction (the row append or retention), so the seal lands with the row it covers.
 */
export function createChainStore(db: Db, key: Buffer) {
  const macs = createChainMacs(key);
  const readSeal = db.prepare<[], SealRow>(`SELECT id, at, keyed_from_id, legacy_rows, legacy_end_hash, legacy_checkpoint_id,
    key_check, mac FROM activity_chain_seal WHERE id = 1`);
  const insertSeal = db.prepare(`INSERT INTO activity_chain_seal
      (id, at, keyed_from_id, legacy_rows, legacy_end_hash, legacy_checkpoint_id, key_check, mac)
    VALUES (1, @at, @keyed_from_id, @legacy_rows, @legacy_end_hash, @legacy_checkpoint_id, @key_check, @mac)`);
  const lastCheckpoint = db.prepare<[], CheckpointRow>(
    'SELECT id, at, up_to_id, last_hash, removed, mac FROM activity_checkpoints ORDER BY id DESC LIMIT 1');
  const insertCheckpoint = db.prepare(`INSERT INTO activity_checkpoints (id, at, up_to_id, last_hash, removed, mac)
    VALUES (@id, @at, @up_to_id, @last_hash, @removed, @mac)`);
  const lastRow = db.prepare<[], { id: number; hash: string }>('SELECT id, hash FROM activity_log ORDER BY id DESC LIMIT 1');
  const rowCount = db.prepare<[], number>('SELECT count(*) FROM activity_log').pluck();

  /** Where the next row links to, and its id (never reusing one a checkpoint already covers). */
  function head(): { prevHash: string; nextId: number } {
    const row = lastRow.get();
    const checkpoint = lastCheckpoint.get();
    return {
      prevHash: row?.hash ?? checkpoint?.last_hash ?? GENESIS_HASH,
      nextId: Math.max(row?.id ?? 0, checkpoint?.up_to_id ?? 0) + 1,
    };
  }

  function addCheckpoint(c: Omit<CheckpointRow, 'id' | 'mac'>): void {
    const content = { ...c, id: (lastCheckpoint.get()?.id ?? 0) + 1 };
    insertCheckpoint.run({ ...content, mac: macs.checkpoint(content) });
  }

  /**
   * The seal, written the first time it is needed; rows already there stay as legacy. Read
   * each time rather than cached: the transaction that wrote it may yet roll back.
   */
  function seal(at: string): { seal: SealRow; created: boolean } {
    const existing = readSeal.get();
    if (existing) return { seal: existing, created: false };
    const legacyCheckpoint = lastCheckpoint.get();
    const { prevHash, nextId } = head();
    const content = { at, keyed_from_id: nextId, legacy_rows: rowCount.get()!, legacy_end_hash: prevHash,
      legacy_checkpoint_id: legacyCheckpoint?.id ?? 0, key_check: macs.keyCheck };
    insertSeal.run({ ...content, mac: macs.seal(content) });
    if (legacyCheckpoint) addCheckpoint({ at, up_to_id: legacyCheckpoint.up_to_id, last_hash: legacyCheckpoint.last_hash, removed: 0 });
    return { seal: readSeal.get()!, created: true };
  }

  return { macs, head, seal, addCheckpoint, readSeal: () => readSeal.get() ?? null, lastCheckpoint: () => lastCheckpoint.get() ?? null };
}

export type ChainStore = ReturnType<typeof createChainStore>;
