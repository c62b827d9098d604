import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, readEnvironment, type Config } from '../src/config.js';
import { migrate, openDatabase, readMigrations } from '../src/db.js';
import { fingerprint, type Manifest } from '../src/features/backups/backup.create.js';
import { openReadOnly } from '../src/features/backups/backup.repo.js';
import { endAccess, reapplyChanges } from '../src/features/backups/restore.access.js';
import { securityChangesSince, type SecurityChange } from '../src/features/backups/restore.repo.js';
import { RestoreRefused, stageBackup, swapIn } from '../src/features/backups/restore.js';
import { exitWith } from './cli.js';

const USAGE = 'usage: npm run restore -- BACKUP_FOLDER [--dry-run] [--reapply]';
const say = (line: string) => process.stdout.write(`restore: ${line}\n`);
const config = (): Config => loadConfig(readEnvironment());

let positionals: string[] = [];
let reapply = false;
let dryRun = false;
try {
  const parsed = parseArgs({ allowPositionals: true, options: { reapply: { type: 'boolean' }, 'dry-run': { type: 'boolean' } } });
  positionals = parsed.positionals;
  reapply = parsed.values.reapply === true;
  dryRun = parsed.values['dry-run'] === true;
} catch (err) {
  exitWith(`${(err as Error).message}\n${USAGE}`, 2);
}
if (positionals.length !== 1) exitWith(USAGE, 2);
process.umask(0o077);

try {
  restore();
} catch (err) {
  if (!(err instanceof RestoreRefused)) exitWith(`restore failed, nothing was replaced: ${(err as Error).message.split('\n')[0]}`);
  for (const problem of err.problems) process.stderr.write(`restore refused: ${problem}\n`);
  process.exit(1);
}

/**
 * Stage the backup inside DATA_DIR, finish it there (migrations, every sign-in ended, changes
 * re-applied), and only then swap it in: an interruption before the swap leaves the current
 * data in place, and the database put in place never carries sign-ins the backup still had.
 */
function restore(): void {
  const current = config();
  const liveDb = path.join(current.dataDir, 'security.db');
  const staged = stageBackup(current.dataDir, positionals[0]!, readMigrations());
  const { manifest } = staged;
  say(`backup ${path.basename(staged.folder)} verified (made ${manifest.createdAt}, schema ${manifest.schemaVersion}, app ${manifest.appVersion})`);
  const changes = readChanges(liveDb, manifest.createdAt);
  if (changes) {
    say(`${changes.length} security change(s) in the current database after the backup was taken:`);
    for (const c of changes) process.stdout.write(`  ${c.at}  ${c.action.padEnd(25)} ${c.targetUsername ?? '?'} (id ${c.targetId ?? '?'}) by ${c.actor ?? '?'}  [activity row ${c.id}]\n`);
  }
  if (dryRun) {
    fs.rmSync(staged.stagingDir, { recursive: true, force: true });
    say('dry run: nothing was changed; run again without --dry-run (with --reapply to re-apply the changes above)');
    return;
  }
  try {
    finishStaged(staged.stagingDir, manifest, changes);
  } catch (err) {
    fs.rmSync(staged.stagingDir, { recursive: true, force: true });
    throw err;
  }
  const aside = swapIn(current.dataDir, staged);
  say(`current files set aside in ${aside.replacedDir}: ${aside.moved.join(', ') || '(none)'}`);
  say(`placed from the backup: ${staged.files.join(', ')}`);
  reportSecrets(manifest, config());
  if (changes && changes.length > 0 && !reapply) {
    say(`the changes above were not re-applied: redo them by hand (the replaced database keeps them in ${aside.replacedDir})`);
  }
  say('done; start the service');
}

function finishStaged(stagingDir: string, manifest: Manifest, changes: SecurityChange[] | null): void {
  const settings = config();
  const db = openDatabase(path.join(stagingDir, 'security.db'), { synchronous: 'FULL' });
  try {
    const applied = migrate(db);
    if (applied.length) say(`migrations applied to the restored database: ${applied.join(', ')}`);
    const ended = endAccess(db, settings.activity, { name: path.basename(positionals[0]!), createdAt: manifest.createdAt });
    say(`every sign-in ended: ${ended.logins} token login(s) revoked, credentials of ${ended.users} user(s) renewed; panel sessions ended (session store set aside)`);
    if (reapply && changes) {
      const done = reapplyChanges(db, settings.activity, changes);
      say(`re-applied: ${done.terminated.length} termination(s) [${done.terminated.join(', ')}], ${done.bumped.length} credential renewal(s) [${done.bumped.join(', ')}]; role changes and password resets are not replayed`);
    }
    // Everything into the main file, so the swap moves one complete file.
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

function readChanges(file: string, since: string): SecurityChange[] | null {
  if (!fs.existsSync(file)) return [];
  try {
    const old = openReadOnly(file);
    try {
      return securityChangesSince(old, since);
    } finally {
      old.close();
    }
  } catch (err) {
    say(`the current database cannot be read (${(err as Error).message.split('\n')[0]}): security changes after the backup cannot be listed; review them by hand`);
    return null;
  }
}

function reportSecrets(manifest: Manifest, current: Config): void {
  const same = (name: 'jwtSecret' | 'sessionSecret') => manifest.secrets[name] === fingerprint(current[name]);
  if (same('jwtSecret') && same('sessionSecret')) {
    say('secrets: JWT_SECRET_KEY and SESSION_SECRET match the backup');
    return;
  }
  if (!same('jwtSecret')) say('secrets: JWT_SECRET_KEY differs from the one in use at the backup (every token login was ended anyway)');
  if (!same('sessionSecret')) say('secrets: SESSION_SECRET differs from the backup: npm run audit:verify fails until the old secret is restored or the chain is re-keyed (audit:verify -- --rekey)');
}
