import type { Db } from '../../db.js';
import type { ActivityRow, ChainStore, CheckpointRow } from './activity.chain.js';
import { verifyChain, type ChainProblem } from './activity.repo.js';

// The append-only triggers that a re-key lifts, inside its own transaction only.
const GUARDS = ['activity_log_no_update', 'activity_checkpoints_no_update', 'activity_chain_seal_no_update'];

/**
 * Moves the chain to a new key after SESSION_SECRET is rotated: it must verify in full under
 * the old key first (so tampering is never re-signed), then every keyed row, signed checkpoint
 * and the seal get new MACs, in one transaction. Rows before the seal keep their SHA-256.
 */
export function rekeyChain(db: Db, from: ChainStore, to: ChainStore): ChainProblem | null {
  // One IMMEDIATE transaction from the check to the last MAC: no writer can slip a row in
  // between, so what is re-signed is exactly what was verified.
  return db.transaction((): ChainProblem | null => {
    const problem = verifyChain(db, from);
    if (problem) return problem;
    const seal = from.readSeal();
    if (!seal) return null;
    const guards = GUARDS.map((name) => db.prepare<[string], string>("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?")
      .pluck().get(name)!);
    for (const name of GUARDS) db.exec(`DROP TRIGGER ${name}`);
    const updateRow = db.prepare('UPDATE activity_log SET prev_hash = @prev_hash, hash = @hash WHERE id = @id');
    let previous: string | null = null;
    for (const row of db.prepare('SELECT * FROM activity_log WHERE id >= ? ORDER BY id').all(seal.keyed_from_id) as ActivityRow[]) {
      const content = { ...row, prev_hash: previous ?? row.prev_hash };
      previous = to.macs.row(content);
      updateRow.run({ id: row.id, prev_hash: content.prev_hash, hash: previous });
    }
    const updateCheckpoint = db.prepare('UPDATE activity_checkpoints SET mac = @mac WHERE id = @id');
    for (const c of db.prepare('SELECT id, at, up_to_id, last_hash, removed FROM activity_checkpoints WHERE id > ?')
      .all(seal.legacy_checkpoint_id) as Array<Omit<CheckpointRow, 'mac'>>) {
      updateCheckpoint.run({ id: c.id, mac: to.macs.checkpoint(c) });
    }
    const { id: _id, mac: _mac, ...content } = { ...seal, key_check: to.macs.keyCheck };
    db.prepare('UPDATE activity_chain_seal SET key_check = @key_check, mac = @mac WHERE id = 1').run({ key_check: content.key_check, mac: to.macs.seal(content) });
    for (const sql of guards) db.exec(sql);
    const after = verifyChain(db, to);
    if (after) throw new Error(`the re-keyed chain does not verify (${after.where} ${after.reason}); nothing was changed`);
    return null;
  }).immediate();
}
