import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, readEnvironment, type Config } from '../src/config.js';
import { migrate, openDatabase, readMigrations } from '../src/db.js';
import { fingerprint, type Manifest } from '../src/features/backups/backup.create.js';
import { openReadOnly } from '../src/features/backups/backup.repo.js';
import { endAccess, reapplyChanges } from '../src/features/backups/restore.access.js';
import { securityChangesSince, type SecurityChange } from '../src/features/backups/restore.repo.js';
import { placeBackup, RestoreRefused } from '../src/features/backups/restore.js';
import { exitWith } from './cli.js';

const USAGE = 'usage: npm run restore -- BACKUP_FOLDER [--reapply]';
const say = (line: string) => process.stdout.write(`restore: ${line}\n`);
const config = (): Config => loadConfig(readEnvironment());

let positionals: string[] = [];
let reapply = false;
try {
  const parsed = parseArgs({ allowPositionals: true, options: { reapply: { type: 'boolean' } } });
  positionals = parsed.positionals;
  reapply = parsed.values.reapply === true;
} catch (err) {
  exitWith(`${(err as Error).message}\n${USAGE}`, 2);
}
if (positionals.length !== 1) exitWith(USAGE, 2);
process.umask(0o077);

let placed;
try {
  placed = placeBackup(config().dataDir, positionals[0]!, readMigrations());
} catch (err) {
  if (!(err instanceof RestoreRefused)) throw err;
  for (const problem of err.problems) process.stderr.write(`restore refused: ${problem}\n`);
  process.exit(1);
}
const { manifest } = placed;
say(`backup ${path.basename(placed.folder)} verified (made ${manifest.createdAt}, schema ${manifest.schemaVersion}, app ${manifest.appVersion})`);
say(`current files set aside in ${placed.replacedDir}: ${placed.moved.join(', ') || '(none)'}`);
say(`placed from the backup: ${placed.placed.join(', ')}`);

// Read again: a secrets.json placed from the backup is now the one in force.
const after = config();
reportSecrets(manifest, after);
const db = openDatabase(path.join(after.dataDir, 'security.db'), { synchronous: after.dbSynchronous });
const applied = migrate(db);
if (applied.length) say(`migrations applied to the restored database: ${applied.join(', ')}`);
const ended = endAccess(db, after.activity, { name: path.basename(placed.folder), createdAt: manifest.createdAt });
say(`every sign-in ended: ${ended.logins} token login(s) revoked, credentials of ${ended.users} user(s) renewed; panel sessions ended (session store set aside)`);

const changes = readChanges(path.join(placed.replacedDir, 'security.db'), manifest.createdAt);
if (changes) {
  say(`${changes.length} security change(s) in the replaced database after the backup was taken:`);
  for (const c of changes) process.stdout.write(`  ${c.at}  ${c.action.padEnd(25)} ${c.targetUsername ?? '?'} (id ${c.targetId ?? '?'}) by ${c.actor ?? '?'}  [activity row ${c.id}]\n`);
  if (reapply) {
    const done = reapplyChanges(db, after.activity, changes);
    say(`re-applied: ${done.terminated.length} termination(s) [${done.terminated.join(', ')}], ${done.bumped.length} credential renewal(s) [${done.bumped.join(', ')}]; role changes and password resets are not replayed`);
  } else if (changes.length > 0) {
    say('run again with --reapply on a fresh restore, or redo these changes by hand, so that revoked access stays revoked');
  }
}
db.close();
say('done; start the service');

function readChanges(file: string, since: string): SecurityChange[] | null {
  try {
    const old = openReadOnly(file);
    try {
      return securityChangesSince(old, since);
    } finally {
      old.close();
    }
  } catch (err) {
    say(`the replaced database cannot be read (${(err as Error).message}): security changes after the backup cannot be listed; review them by hand`);
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
