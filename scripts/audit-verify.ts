import { deriveChainKey } from '../src/config-secrets.js';
import { inspectChain } from '../src/features/activity/activity.service.js';
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
const rekeyProblem = rekey ? rekeyChain(db, { from: deriveChainKey(previous), to: config.activity.chainKey }) : null;
const chain = inspectChain(db, config.activity.chainKey);
db.close();
const problem = rekeyProblem ?? chain.problem;
if (problem) exitWith(`activity log: ${problem.where} does not verify${rekeyProblem ? ' under the previous secret' : ''}: ${problem.reason}`);
const legacy = chain.legacyRows > 0 ? `, keyed from row ${chain.keyedFromId} (${chain.legacyRows} earlier rows SHA-256 chained and pinned by the seal)` : '';
process.stdout.write(`activity log ${rekey ? 're-keyed and ' : ''}verified: ${chain.rows} rows, chain intact${legacy}\n`);

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text.trim();
}
