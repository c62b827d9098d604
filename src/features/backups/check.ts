import type { Db } from '../../db.js';
import { firstChainProblem } from '../activity/activity.service.js';
import { foreignKeyProblems, integrityProblems } from './backup.repo.js';

/** integrity_check, foreign_key_check and the activity chain, as one list of problems. */
export function runChecks(db: Db, chainKey: Buffer): { problems: string[]; summary: string } {
  let integrity: string[];
  try {
    integrity = integrityProblems(db).map((p) => `integrity_check: ${p}`);
  } catch (err) {
    integrity = [`integrity_check: ${(err as Error).message}`];
  }
  // A damaged file makes the other checks fail in confusing ways: report it alone.
  if (integrity.length > 0) return { problems: integrity, summary: '' };
  const problems = foreignKeyProblems(db).map((p) => `foreign_key_check: ${p}`);
  try {
    const chain = firstChainProblem(db, chainKey);
    if (chain) problems.push(`activity log: ${chain.where} does not verify: ${chain.reason}`);
  } catch (err) {
    problems.push(`activity log: cannot be read (${(err as Error).message})`);
  }
  return { problems, summary: 'integrity ok, foreign keys ok, activity chain intact' };
}
