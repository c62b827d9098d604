import { GENESIS_HASH, hashRow, sameMac, type ActivityRow, type Chain, type SealRow } from './activity.chain.js';

/** What audit:verify reports: the record that fails (`row 12`, `checkpoint 3`, `seal`) and why. */
export interface ChainProblem {
  where: string;
  reason: string;
}

/**
 * Checks the seal, every checkpoint written since it, and each row from the latest checkpoint
 * (or the start): rows before the seal against their SHA-256 chain, which must end where the
 * seal says; rows after it against their HMAC. The newest rows can still be cut off unseen.
 */
export function verifyChain(chain: Chain): ChainProblem | null {
  const { repo } = chain;
  const seal = repo.readSeal();
  if (!seal) {
    return repo.storedCount() === 0 ? null
      : { where: 'seal', reason: 'is missing although rows exist (start the service once to seal rows written before the keyed chain)' };
  }
  const sealProblem = checkSeal(seal, chain);
  if (sealProblem) return sealProblem;
  const unsigned = repo.checkpointsAfter(seal.legacy_checkpoint_id).find((c) => !sameMac(c.mac, chain.macs.checkpoint(c)));
  if (unsigned) return { where: `checkpoint ${unsigned.id}`, reason: 'is not signed with the chain key (rows may have been deleted behind it)' };
  const latest = repo.lastCheckpoint();
  if (latest && latest.id <= seal.legacy_checkpoint_id) {
    return { where: `checkpoint ${latest.id}`, reason: 'predates the seal, but the signed copy made at sealing is gone' };
  }
  let previous = latest?.last_hash ?? GENESIS_HASH;
  // Unless retention has removed them all, the rows before the seal must end on its hash.
  let legacyEnd = (latest?.up_to_id ?? 0) >= seal.keyed_from_id - 1 ? null : seal.legacy_end_hash;
  const legacyCut = { reason: 'the rows before the seal do not end where it says (removed or rewritten)' };
  for (const row of repo.rows()) {
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

function checkSeal(seal: SealRow, chain: Chain): ChainProblem | null {
  if (!sameMac(seal.key_check, chain.macs.keyCheck)) {
    return { where: 'seal', reason: 'was made with a different SESSION_SECRET: run with the secret the service writes with' };
  }
  const { id: _id, mac, ...content } = seal;
  return sameMac(mac, chain.macs.seal(content)) ? null : { where: 'seal', reason: 'does not match its MAC' };
}

function rowMatches(row: ActivityRow, seal: SealRow, chain: Chain): boolean {
  const { hash, ...content } = row;
  if (row.id >= seal.keyed_from_id) return sameMac(hash, chain.macs.row(content));
  const { id: _id, ...legacy } = content;
  return hashRow(legacy) === hash;
}
