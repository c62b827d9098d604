import Database from 'better-sqlite3';
import type { Db } from '../../db.js';

// The SQL of backups, verification and checks. Every connection here is opened by these
// functions and closed by them; none of them migrates.

/** A read-only connection that never creates the file. */
export function openReadOnly(file: string): Db {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * A consistent copy of `source` in `target` (which must not exist), in one statement: it reads
 * one snapshot, so writers on other connections keep committing while it runs. The copy is
 * switched to a rollback journal so that it opens alone, without a -wal beside it.
 */
export function vacuumInto(source: string, target: string): void {
  const db = openReadOnly(source);
  try {
    db.prepare('VACUUM INTO ?').run(target);
  } finally {
    db.close();
  }
  const copy = new Database(target, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
}

/** `PRAGMA integrity_check` problems (empty when the file is sound). */
export function integrityProblems(db: Db): string[] {
  const rows = db.prepare('PRAGMA integrity_check').pluck().all() as string[];
  return rows.length === 1 && rows[0] === 'ok' ? [] : rows;
}

export function foreignKeyProblems(db: Db): string[] {
  const rows = db.prepare('PRAGMA foreign_key_check').all() as Array<{ table: string; rowid: number | null; parent: string }>;
  return rows.map((r) => `${r.table} row ${r.rowid ?? '?'} refers to a missing ${r.parent} row`);
}

/** Applied migration versions, or [] when the schema table is missing. */
export function appliedVersions(db: Db): number[] {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!exists) return [];
  return db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all() as number[];
}

/** A read-only file with integrity_check: problems, or the applied versions when it opens. */
export function inspectCopy(file: string): { problems: string[]; versions: number[] } {
  let db: Db | undefined;
  try {
    db = openReadOnly(file);
    const problems = integrityProblems(db);
    return { problems, versions: problems.length ? [] : appliedVersions(db) };
  } catch (err) {
    return { problems: [`does not open as a database (${(err as Error).message})`], versions: [] };
  } finally {
    db?.close();
  }
}
