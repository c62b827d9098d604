import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openForScript } from './cli.js';

// A consistent online copy through SQLite's backup API: safe while the service is running.
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const { config, db } = openForScript();
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const target = path.resolve(values.out ?? path.join(config.dataDir, 'backups', `security-${stamp}.db`));
fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
await db.backup(target);
db.close();
process.stdout.write(`backup written to ${target}\n`);
