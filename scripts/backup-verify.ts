import { readMigrations } from '../src/db.js';
import { verifyBackup } from '../src/features/backups/backup.verify.js';
import { exitWith } from './cli.js';

// Checks a backup folder without opening the live data: exit 0 when it restores, 1 with one
// line per problem otherwise.
const given = process.argv[2];
if (!given || given.startsWith('-')) exitWith('usage: npm run backup:verify -- BACKUP_FOLDER', 2);
const { folder, manifest, problems } = verifyBackup(given, readMigrations());
if (problems.length > 0) {
  for (const problem of problems) process.stderr.write(`${folder}: ${problem}\n`);
  process.exit(1);
}
process.stdout.write(`backup ok: ${folder} (made ${manifest!.createdAt}, schema ${manifest!.schemaVersion}, app ${manifest!.appVersion})\n`);
