import crypto from 'node:crypto';
import type { ActivityRow, ChainRepo, CheckpointRow, SealRow } from './activity-chain.repo.js';

export type { ActivityRow, CheckpointRow, SealRow } from './activity-chain.repo.js';

export const GENESIS_HASH = '0'.repeat(64);

/** The unkeyed SHA-256 of a row, as written before migration 007 (rows before the seal). */
export function hashRow(row: Omit<ActivityRow, 'id' | 'hash'>): string {
  const content = [row.prev_hash, row.at, row.user_id, row.username, row.login_ref, row.action, row.target_type,
    row.target_id, row.ip, row.user_agent, row.outcome, row.detail];
  return crypto.createHash('sha256').update(JSON.stringify(content)).digest('hex');
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

/**
 * The chain under one key: where the next row links, the seal, signed checkpoints. Call inside
 * the write transaction of the row append or the retention, so the seal lands with what it covers.
 */
export function createChain(deps: { repo: ChainRepo; key: Buffer }) {
  const { repo, key } = deps;
  const macs = createChainMacs(key);

  /** Where the next row links to, and its id (never reusing one a checkpoint already covers). */
  function head(): { prevHash: string; nextId: number } {
    const row = repo.lastRow();
    const checkpoint = repo.lastCheckpoint();
    return {
      prevHash: row?.hash ?? checkpoint?.last_hash ?? GENESIS_HASH,
      nextId: Math.max(row?.id ?? 0, checkpoint?.up_to_id ?? 0) + 1,
    };
  }

  function addCheckpoint(c: Omit<CheckpointRow, 'id' | 'mac'>): void {
    const content = { ...c, id: (repo.lastCheckpoint()?.id ?? 0) + 1 };
    repo.insertCheckpoint({ ...content, mac: macs.checkpoint(content) });
  }

  /**
   * The seal, written the first time it is needed; rows already there stay as legacy. Read
   * each time rather than cached: the transaction that wrote it may yet roll back.
   */
  function seal(at: string): { seal: SealRow; created: boolean } {
    const existing = repo.readSeal();
    if (existing) return { seal: existing, created: false };
    const legacyCheckpoint = repo.lastCheckpoint();
    const { prevHash, nextId } = head();
    const content = { at, keyed_from_id: nextId, legacy_rows: repo.rowCount(), legacy_end_hash: prevHash,
      legacy_checkpoint_id: legacyCheckpoint?.id ?? 0, key_check: macs.keyCheck };
    repo.insertSeal({ ...content, mac: macs.seal(content) });
    if (legacyCheckpoint) addCheckpoint({ at, up_to_id: legacyCheckpoint.up_to_id, last_hash: legacyCheckpoint.last_hash, removed: 0 });
    return { seal: repo.readSeal()!, created: true };
  }

  return { macs, repo, head, seal, addCheckpoint };
}

export type Chain = ReturnType<typeof createChain>;
