import { writeTransaction, type Db } from '../../db.js';
import { createChain } from './activity.chain.js';
import { createChainRepo } from './activity-chain.repo.js';
import { verifyChain, type ChainProblem } from './activity.verify.js';

/**
 * Moves the chain to a new key after SESSION_SECRET is rotated: it must verify in full under
 * the old key first (so tampering is never re-signed), then every keyed row, signed checkpoint
 * and the seal get new MACs. One write transaction from the check to the last MAC: no writer
 * can slip a row in between, so what is re-signed is exactly what was verified. Rows before the
 * seal keep their SHA-256.
 */
export function rekeyChain(db: Db, keys: { from: Buffer; to: Buffer }): ChainProblem | null {
  const repo = createChainRepo(db);
  const from = createChain({ repo, key: keys.from });
  const to = createChain({ repo, key: keys.to });
  return writeTransaction(db, (): ChainProblem | null => {
    const problem = verifyChain(from);
    if (problem) return problem;
    const seal = repo.readSeal();
    if (!seal) return null;
    repo.withoutAppendOnlyGuards((set) => {
      let previous: string | null = null;
      for (const row of repo.rowsFrom(seal.keyed_from_id)) {
        const content = { ...row, prev_hash: previous ?? row.prev_hash };
        previous = to.macs.row(content);
        set.setRowHash({ id: row.id, prev_hash: content.prev_hash, hash: previous });
      }
      for (const c of repo.checkpointsAfter(seal.legacy_checkpoint_id)) set.setCheckpointMac({ id: c.id, mac: to.macs.checkpoint(c) });
      const { id: _id, mac: _mac, ...content } = { ...seal, key_check: to.macs.keyCheck };
      set.setSealKey({ key_check: content.key_check, mac: to.macs.seal(content) });
    });
    const after = verifyChain(to);
    if (after) throw new Error(`the re-keyed chain does not verify (${after.where} ${after.reason}); nothing was changed`);
    return null;
  });
}
