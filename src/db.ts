import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { projectRoot } from './paths.js';

export type Db = Database.Database;

export const BUSY_TIMEOUT_MS = 5000;
const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

export interface OpenOptions {
  synchronous?: 'FULL' | 'NORMAL';
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // The WAL is truncated back to this size after a checkpoint, so one burst cannot leave a
  // file of gigabytes behind (SQLite otherwise keeps the WAL at its largest size).
  db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
  // 64 MiB of page cache (the default is 2 MiB): a million contacts and their search index
  // stay in memory instead of being re-read from the OS for every sync and search.
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  return db;
}

/**
 * Runs `work` with a shorter busy timeout on this connection, then restores it. Calls are
 * synchronous, so a housekeeping statement waiting 5 s on a lock would stall every request.
 */
export function withBusyTimeout<T>(db: Db, ms: number, work: () => T): T {
  db.pragma(`busy_timeout = ${Math.trunc(ms)}`);
  try {
    return work();
  } finally {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}

const writing = new WeakSet<Db>();

/**
 * Runs `work` in one IMMEDIATE transaction: the write lock is taken before the first read, so
 * what it reads is still true when it writes, whichever connection wrote last. Inside another
 * write transaction on the same connection it is a savepoint of that one. Every write that
 * reads first (a quota, a budget, the activity chain's head) goes through here.
 */
export function writeTransaction<T>(db: Db, work: () => T): T {
  if (writing.has(db)) return db.transaction(work)();
  if (db.inTransaction) throw new Error('writeTransaction inside a deferred transaction: its reads may be stale by the time it writes');
  writing.add(db);
  try {
    return db.transaction(work).immediate();
  } finally {
    writing.delete(db);
  }
}

/** Whether this connection is inside writeTransaction. */
export const inWriteTransaction = (db: Db): boolean => writing.has(db);

/**
 * Copies the WAL into the database and truncates it to zero bytes, if no reader needs it;
 * otherwise does nothing and reports busy (never waits: see withBusyTimeout).
 */
export function truncateWal(db: Db): { busy: boolean; walPages: number } {
  const [row] = withBusyTimeout(db, 0, () => db.pragma('wal_checkpoint(TRUNCATE)')) as Array<{ busy: number; log: number }>;
  return { busy: row!.busy === 1, walPages: row!.log };
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = path.join(projectRoot(), 'db', 'migrations')): Migration[] {
  return fs.readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = fs.readFileSync(path.join(dir, file), 'utf8');
      return {
        version: Number(file.slice(0, 3)),
        name: file,
        sql,
        checksum: crypto.createHash('sha256').update(sql).digest('hex'),
      };
    });
}

/**
 * Applies pending migrations in one IMMEDIATE transaction (so two processes starting together
 * cannot both apply them) and records each. Refuses to start if a shipped migration was edited.
 */
export function migrate(db: Db, migrations = readMigrations()): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = db.transaction(() => {
    const done = new Map(
      db.prepare('SELECT version, name, checksum FROM schema_migrations').all()
        .map((r) => r as { version: number; name: string; checksum: string })
        .map((r) => [r.version, r]),
    );
    const record = db.prepare(
      'INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (@version, @name, @checksum, @appliedAt)');
    const names: string[] = [];
    for (const m of migrations) {
      const previous = done.get(m.version);
      if (previous) {
        if (previous.checksum !== m.checksum) {
          throw new Error(`migration ${m.name} changed after it was applied; add a new migration instead`);
        }
        continue;
      }
      db.exec(m.sql);
      record.run({ version: m.version, name: m.name, checksum: m.checksum, appliedAt: new Date().toISOString() });
      names.push(m.name);
    }
    return names;
  }).immediate();
  return applied;
}

/**
 * Statements for SQL assembled from allowlisted fragments (filters), prepared once per shape
 * and reused. Values always travel as bound parameters.
 */
export function statementCache(db: Db): (sql: string) => Database.Statement {
  const cache = new Map<string, Database.Statement>();
  return (sql) => {
    let stmt = cache.get(sql);
    if (!stmt) cache.set(sql, (stmt = db.prepare(sql)));
    return stmt;
  };
}

/**
 * Every row of a newest-first listing in keyset chunks (`id < last id`), for CSV exports: no
 * query stays open between chunks, so other requests run while the response drains.
 */
export function* keysetChunks<T extends { id: number }>(fetch: (beforeId: number | undefined) => T[]): Generator<T[]> {
  let beforeId: number | undefined;
  for (;;) {
    const chunk = fetch(beforeId);
    if (chunk.length === 0) return;
    yield chunk;
    beforeId = chunk[chunk.length - 1]!.id;
  }
}

/** `%` and `_` in user text are literal in a LIKE … ESCAPE '\' pattern. */
export const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => '\\' + c);

export type Condition = readonly [clause: string, params?: Record<string, unknown>];

/** A WHERE clause from allowlisted fragments (falsy entries skipped); values stay bound parameters. */
export function whereClause(conditions: Array<Condition | false | null | undefined | '' | 0>): { sql: string; params: Record<string, unknown> } {
  const chosen = conditions.filter((c): c is Condition => Boolean(c));
  return {
    sql: chosen.length ? 'WHERE ' + chosen.map(([clause]) => clause).join(' AND ') : '',
    params: Object.assign({}, ...chosen.map(([, params]) => params ?? {})) as Record<string, unknown>,
  };
}
