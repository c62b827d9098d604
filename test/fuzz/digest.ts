import crypto from 'node:crypto';
import type { Db } from '../../src/db.js';

/**
 * A digest of everything a refused request must leave alone: every table of security.db, with
 * four exceptions, each because the refusal itself is meant to write there:
 * - activity_log / activity_daily: a refusal is recorded (access.denied, csrf.failed,
 *   login.failed, …) and counted per day. Only rows with outcome 'success' are digested:
 *   a refused request may add a denied or failed record, never a successful one.
 * - activity_flags: the anomaly rules may raise a flag on a refusal (a failed-login burst);
 *   only acknowledged flags are digested, so a refusal can raise one but never acknowledge one.
 * - flag_events: a flag raised on a refusal links the rows behind it, and a refusal in a burst
 *   links its own row to the burst's flag; only links of acknowledged flags to successful rows
 *   are digested, which no refusal adds or removes.
 * - login_throttle, for the requests that check a password (sign-in, password change): a wrong
 *   guess must count against the budget. For every other request it is digested too.
 * Sessions live in their own file (sessions.db), not digested: any visit may start a session
 * (to hold a CSRF token or a flash) or refresh its expiry.
 */
const PARTIAL: Record<string, string> = {
  activity_log: 'SELECT * FROM activity_log WHERE outcome = \'success\' ORDER BY id',
  activity_daily: 'SELECT * FROM activity_daily WHERE outcome = \'success\' ORDER BY day, action, outcome, user_id',
  activity_flags: 'SELECT id, acknowledged_by, acknowledged_at, acknowledged_note FROM activity_flags WHERE acknowledged_at IS NOT NULL ORDER BY id',
  flag_events: `SELECT fe.flag_id, fe.activity_id FROM flag_events fe JOIN activity_flags f ON f.id = fe.flag_id
    JOIN activity_log a ON a.id = fe.activity_id WHERE f.acknowledged_at IS NOT NULL AND a.outcome = 'success' ORDER BY 1, 2`,
};
export const PASSWORD_CHECKED_TABLES = ['login_throttle'];

function tableNames(db: Db): string[] {
  const rows = db.prepare('SELECT name, sql FROM sqlite_schema WHERE type = \'table\' AND name NOT LIKE \'sqlite_%\' ORDER BY name')
    .all() as Array<{ name: string; sql: string | null }>;
  // Virtual tables (FTS) are read through their shadow tables, which are ordinary tables.
  return rows.filter((r) => !/^CREATE VIRTUAL/i.test(r.sql ?? '')).map((r) => r.name);
}

const bigints = (_key: string, v: unknown) => (typeof v === 'bigint' ? String(v) : v);

export interface Snapshot {
  /** Rows written through this connection, and commits by others (the data connection). */
  mark: string;
  tables: Map<string, string>;
}

/**
 * total_changes() counts every row this connection wrote (triggers included, rolled back or
 * not); data_version moves whenever another connection commits. Both still: nothing was written.
 */
function writeMark(db: Db): string {
  const row = db.prepare('SELECT total_changes() AS n').get() as { n: number };
  return `${row.n}:${String(db.pragma('data_version', { simple: true }))}`;
}

/**
 * One hash per table (an unchanged table scans in the same order, so no ORDER BY). When nothing
 * was written since `previous`, that snapshot is returned as it is, which spares most refusals.
 */
export function snapshot(db: Db, previous?: Snapshot): Snapshot {
  const mark = writeMark(db);
  if (previous?.mark === mark) return previous;
  const tables = new Map<string, string>();
  for (const name of tableNames(db)) {
    const rows = db.prepare(PARTIAL[name] ?? `SELECT * FROM "${name}"`).raw().all();
    tables.set(name, crypto.createHash('sha256').update(JSON.stringify(rows, bigints)).digest('hex'));
  }
  return { mark: writeMark(db), tables };
}

/** The tables whose digest differs (a table that appeared or vanished counts too). */
export function changedTables(before: Snapshot, after: Snapshot): string[] {
  const names = new Set([...before.tables.keys(), ...after.tables.keys()]);
  return [...names].filter((n) => before.tables.get(n) !== after.tables.get(n));
}
