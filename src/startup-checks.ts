import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Db } from './db.js';
import { StartupRefusal } from './startup-refusal.js';

export const DB_FILE = 'security.db';
export const SESSIONS_FILE = 'sessions.db';

// Files that only exist once a service has run on the directory: seeing them without a
// database means the database was lost (or DATA_DIR points at the wrong place).
const TRACES_OF_A_DATABASE = [/^secrets\.json$/, /^sessions\.db$/, /^backups$/, /^replaced-/];

const RESTORE = 'restore the latest backup (npm run restore -- BACKUP_FOLDER)';

/** Refuses to start on a data directory that cannot be written or has lost its database. */
export function checkDataDirectory(dataDir: string, options: { init: boolean; secretsFileCreated?: boolean }): void {
  if (!fs.existsSync(dataDir)) return;
  mustBeWritable(dataDir, 'the data directory');
  const dbFile = path.join(dataDir, DB_FILE);
  const size = fs.existsSync(dbFile) ? fs.statSync(dbFile).size : -1;
  if (size > 0) {
    mustBeWritable(dbFile, 'the database');
    return;
  }
  const traces = fs.readdirSync(dataDir)
    .filter((name) => TRACES_OF_A_DATABASE.some((t) => t.test(name)))
    .filter((name) => !(name === 'secrets.json' && options.secretsFileCreated));
  if (traces.length > 0 && !options.init) {
    throw new StartupRefusal(`${dbFile} is ${size === 0 ? 'empty' : 'missing'} but ${dataDir} has ${traces.join(', ')} from an earlier run: ` +
      `${RESTORE}, or start once with --init (npm start -- --init) to begin with an empty database`);
  }
}

function mustBeWritable(target: string, what: string): void {
  try {
    fs.accessSync(target, fs.constants.R_OK | fs.constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new StartupRefusal(`${target} (${what}) is not writable (${code}): make it writable by this user ` +
      '(or remount its filesystem read-write), then start again');
  }
}

/** SQLite's quick check over the opened database: a damaged file is refused, not served. */
export function checkDatabaseIntact(db: Db, file: string): void {
  const problems = db.pragma('quick_check', { simple: false }) as Array<{ quick_check: string }>;
  const first = problems[0]?.quick_check;
  if (first !== 'ok') {
    throw new StartupRefusal(`${file} fails SQLite's quick_check (${first?.slice(0, 120) ?? 'no answer'}): ${RESTORE}`);
  }
}

/** The session store must open and be intact; it is only sign-ins, so moving it aside is a fix. */
export function checkSessionStore(dataDir: string): void {
  const file = path.join(dataDir, SESSIONS_FILE);
  if (!fs.existsSync(file)) return;
  const fix = 'move it aside (this signs everyone out of the console), then start again';
  let db: Database.Database | undefined;
  try {
    mustBeWritable(file, 'the session store');
    db = new Database(file, { fileMustExist: true });
    const result = db.pragma('quick_check', { simple: true });
    if (result !== 'ok') throw new StartupRefusal(`${file} fails SQLite's quick_check: ${fix}`);
  } catch (err) {
    if (err instanceof StartupRefusal) throw err;
    throw new StartupRefusal(`${file} is unreadable or corrupt (${(err as { code?: string }).code ?? 'error'}): ${fix}`);
  } finally {
    db?.close();
  }
}

/** What opening or migrating the database threw, as a refusal naming the file. */
export function refusalFor(err: unknown, file: string): StartupRefusal {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^SQLITE_READONLY/.test(code)) {
    return new StartupRefusal(`${file} is read-only (${code}): make it and its directory writable by this user, then start again`);
  }
  if (typeof code === 'string' && /^SQLITE_(NOTADB|CORRUPT)/.test(code)) {
    return new StartupRefusal(`${file} is not a usable database (${code}): ${RESTORE}`);
  }
  if (typeof code === 'string' && /^SQLITE_/.test(code)) {
    return new StartupRefusal(`${file} cannot be opened (${code}): check the disk and the file's permissions, then start again`);
  }
  return err instanceof Error ? new StartupRefusal(`${file}: ${err.message.split('\n')[0]}`) : new StartupRefusal(String(err));
}
