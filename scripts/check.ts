import { runChecks } from '../src/features/backups/check.js';
import { openReadOnlyForScript } from './cli.js';

// For cron: integrity, foreign keys and the activity chain of the live database, read-only.
// Exit 0 and one summary line when sound; exit 1 and one line per problem otherwise.
const { config, db } = openReadOnlyForScript('check');
const { problems, summary } = runChecks(db, config.activity.chainKey);
db.close();
if (problems.length > 0) {
  for (const problem of problems) process.stderr.write(`check: ${problem}\n`);
  process.exit(1);
}
process.stdout.write(`check ok: ${summary}\n`);
