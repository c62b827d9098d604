import { statementCache, whereClause, type Db } from '../../db.js';
import type { ActivityAction, Outcome } from '../../domain/activity.js';

export interface ActivityFilters {
  /** Done by one of these accounts. */
  by?: number[];
  /** Done under a name that is no account (the operator at a shell). */
  byName?: string;
  /** Done to one of these accounts by someone else. */
  about?: number[];
  /** Done by or about one of these accounts: a user's timeline, a manager's team. */
  involving?: number[];
  action?: ActivityAction;
  outcome?: Outcome;
  ip?: string;
  from?: string;
  to?: string;
  beforeId?: number;
}

/** One row of the activity log, as read. */
export interface ActivityEntry {
  id: number;
  at: string;
  userId: number | null;
  username: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  outcome: Outcome;
  /** The stored JSON text of the event's details, or null. */
  detail: string | null;
}

interface EntryRow {
  id: number; at: string; user_id: number | null; username: string | null; action: string; target_type: string | null;
  target_id: string | null; ip: string | null; user_agent: string | null; outcome: Outcome; detail: string | null;
}

const ENTRY_COLUMNS = 'a.id, a.at, a.user_id, a.username, a.action, a.target_type, a.target_id, a.ip, a.user_agent, a.outcome, a.detail';
const toEntry = (r: EntryRow): ActivityEntry => ({ id: r.id, at: r.at, userId: r.user_id, username: r.username, action: r.action,
  targetType: r.target_type, targetId: r.target_id, ip: r.ip, userAgent: r.user_agent, outcome: r.outcome, detail: r.detail });

// Ids go in as one JSON array parameter, so a team of any size is one prepared statement.
const ACTOR_IN = 'a.user_id IN (SELECT value FROM json_each(@by))';
// What others did to the accounts (their own acts are "by"): the same terms as the partial index activity_log_done_to.
const TARGET_IN = "a.target_type = 'user' AND (a.user_id IS NULL OR CAST(a.user_id AS TEXT) <> a.target_id)"
  + ' AND a.target_id IN (SELECT CAST(value AS TEXT) FROM json_each(@about))';

function where(f: Omit<ActivityFilters, 'involving'>) {
  return whereClause([
    f.by !== undefined && [ACTOR_IN, { by: JSON.stringify(f.by) }],
    f.byName !== undefined && ['a.user_id IS NULL AND a.username = @byName', { byName: f.byName }],
    f.about !== undefined && [TARGET_IN, { about: JSON.stringify(f.about) }],
    f.action && ['a.action = @action', { action: f.action }],
    f.outcome && ['a.outcome = @outcome', { outcome: f.outcome }],
    f.ip && ['a.ip = @ip', { ip: f.ip }],
    f.from && ['a.at >= @from', { from: f.from }],
    f.to && ['a.at < @to', { to: f.to }],
    f.beforeId !== undefined && ['a.id < @beforeId', { beforeId: f.beforeId }],
  ]);
}

/**
 * The filters as one or two queries whose rows never overlap: "by or about" is the rows by the
 * accounts plus the rows about them by anyone else, each read newest first along its own index
 * (one OR over both would read every row of the account to sort them).
 */
function branches(f: ActivityFilters) {
  const { involving, ...rest } = f;
  if (involving === undefined) return [where(rest)];
  const within = (ids: number[] | undefined) => (ids === undefined ? involving : ids.filter((id) => involving.includes(id)));
  const by = where({ ...rest, by: within(rest.by) });
  const about = where({ ...rest, about: within(rest.about) });
  const notByThem = 'AND (a.user_id IS NULL OR a.user_id NOT IN (SELECT value FROM json_each(@involving)))';
  return [by, { sql: `${about.sql} ${notByThem}`, params: { ...about.params, involving: JSON.stringify(involving) } }];
}

/** Reading the activity log (its flags: activity-flags.repo.ts). */
export function createActivityRepo(db: Db) {
  const prepared = statementCache(db);
  const accountByName = db.prepare('SELECT id, username FROM users WHERE username = @username');
  return {
    listPage: (f: ActivityFilters, limit: number, offset: number): ActivityEntry[] => {
      const window = { limit: limit + offset };
      const rows = branches(f).flatMap((p) =>
        prepared(`SELECT ${ENTRY_COLUMNS} FROM activity_log a ${p.sql} ORDER BY a.id DESC LIMIT @limit`).all({ ...p.params, ...window }) as EntryRow[]);
      return rows.sort((x, y) => y.id - x.id).slice(offset, offset + limit).map(toEntry);
    },
    /** How many rows match; with `cap`, counting stops there (the page then says "cap or more"). */
    count: (f: ActivityFilters, cap?: number): number => branches(f).reduce((sum, p) => {
      const sql = cap === undefined
        ? `SELECT count(*) AS n FROM activity_log a ${p.sql}`
        : `SELECT count(*) AS n FROM (SELECT 1 FROM activity_log a ${p.sql} LIMIT @cap)`;
      return sum + (prepared(sql).get({ ...p.params, cap }) as { n: number }).n;
    }, 0),
    /** The account called `username` now (names are unique, in any case), if there is one. */
    accountNamed: (username: string): { id: number; username: string } | null =>
      (accountByName.get({ username }) as { id: number; username: string } | undefined) ?? null,
  };
}

export type ActivityRepo = ReturnType<typeof createActivityRepo>;
