import path from 'node:path';
import { parseArgs } from 'node:util';
import { createBackup } from '../src/features/backups/backup.create.js';
import { exitWith, openReadOnlyForScript } from './cli.js';

// One backup folder (database copy, dev secrets if any, manifest) made without writing the
// live data; safe while the service runs and writes.
let out: string | undefined;
try {
  ({ values: { out } } = parseArgs({ options: { out: { type: 'string' } } }));
} catch (err) {
  exitWith(`${(err as Error).message}\nusage: npm run backup [-- --out DIR]`, 2);
}
const { config, db } = openReadOnlyForScript('backup');
db.close();
try {
  const made = createBackup({
    dataDir: config.dataDir, backupDir: path.resolve(out ?? config.backups.dir), keep: config.backups.keep,
    secrets: { jwtSecret: config.jwtSecret, sessionSecret: config.sessionSecret },
  });
  const size = made.manifest.files['security.db']!.bytes;
  process.stdout.write(`backup written to ${made.path} (${(size / 1048576).toFixed(1)} MiB, schema ${made.manifest.schemaVersion}, ${(made.durationMs / 1000).toFixed(1)} s)\n`);
} catch (err) {
  exitWith(`backup failed: ${(err as Error).message}`);
}
