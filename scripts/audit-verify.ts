import { createChainStore } from '../src/features/activity/activity.chain.js';
import { createActivityRepo } from '../src/features/activity/activity.repo.js';
import { openForScript } from './cli.js';

// Walks the activity log's keyed chain with the key derived from SESSION_SECRET; exits 1
// naming the first record (row, checkpoint or seal) that does not verify.
const { config, db } = openForScript();
const rows = db.prepare('SELECT count(*) FROM activity_log').pluck().get() as number;
const chain = createChainStore(db, config.activity.chainKey);
const problem = createActivityRepo(db, chain).firstProblem();
const seal = chain.readSeal();
db.close();
if (problem) {
  process.stderr.write(`activity log: ${problem.where} does not verify: ${problem.reason}\n`);
  process.exit(1);
}
const legacy = seal && seal.legacy_rows > 0 ? `, keyed from row ${seal.keyed_from_id} (${seal.legacy_rows} earlier rows SHA-256 chained and pinned by the seal)` : '';
process.stdout.write(`activity log verified: ${rows} rows, chain intact${legacy}\n`);
