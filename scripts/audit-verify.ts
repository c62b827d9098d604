import { createActivityRepo } from '../src/features/activity/activity.repo.js';
import { openForScript } from './cli.js';

// Walks the activity log's hash chain; exits 1 naming the first row that does not match.
const { db } = openForScript();
const rows = db.prepare('SELECT count(*) FROM activity_log').pluck().get() as number;
const broken = createActivityRepo(db).firstBrokenRow();
db.close();
if (broken) {
  process.stderr.write(`activity log: row ${broken.id} does not verify: ${broken.reason}\n`);
  process.exit(1);
}
process.stdout.write(`activity log verified: ${rows} rows, chain intact\n`);
