import { deriveChainKey } from '../src/config-secrets.js';
import { createChainStore } from '../src/features/activity/activity.chain.js';
import { createActivityRepo } from '../src/features/activity/activity.repo.js';
import { rekeyChain } from '../src/features/activity/activity.rekey.js';
import { exitWith, openForScript, openReadOnlyForScript } from './cli.js';

// Walks the activity log's keyed chain with the key derived from SESSION_SECRET; exits 1
// naming the first record (row, checkpoint or seal) that does not verify.
// With --rekey, after a SESSION_SECRET rotation: reads the previous secret from stdin (never
// argv or the environment), verifies under it, then re-signs the chain under the current one.
const rekey = process.argv.includes('--rekey');
const previous = rekey ? await readStdin() : '';
if (rekey && !previous) exitWith('audit:verify --rekey: give the previous SESSION_SECRET on stdin');
// Verifying only reads; re-keying writes, so only it opens the database for writing.
const { config, db } = rekey ? openForScript() : openReadOnlyForScript('audit:verify');
const rows = db.prepare('SELECT count(*) FROM activity_log').pluck().get() as number;
const chain = createChainStore(db, config.activity.chainKey);
const problem = rekey
  ? rekeyChain(db, createChainStore(db, deriveChainKey(previous)), chain)
  : createActivityRepo(db, chain).firstProblem();
const seal = chain.readSeal();
db.close();
if (problem) exitWith(`activity log: ${problem.where} does not verify${rekey ? ' under the previous secret' : ''}: ${problem.reason}`);
const legacy = seal && seal.legacy_rows > 0 ? `, keyed from row ${seal.keyed_from_id} (${seal.legacy_rows} earlier rows SHA-256 chained and pinned by the seal)` : '';
process.stdout.write(`activity log ${rekey ? 're-keyed and ' : ''}verified: ${rows} rows, chain intact${legacy}\n`);

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text.trim();
}
