import type { Db } from '../db.js';

export type ThrottleScope = 'account' | 'ip';

export interface ThrottleState {
  scope: ThrottleScope;
  key: string;
  failures: number;
  /** Verifications reserved and not yet settled. */
  inFlight: number;
  windowStartedAt: string;
  lockedUntil: string | null;
  lockouts: number;
  updatedAt: string;
}

interface Row {
  scope: ThrottleScope;
  key: string;
  failures: number;
  in_flight: number;
  window_started_at: string;
  locked_until: string | null;
  lockouts: number;
  updated_at: string;
}

export function createThrottleRepo(db: Db) {
  const find = db.prepare<{ scope: ThrottleScope; key: string }, Row>(`SELECT scope, key, failures, in_flight,
      window_started_at, locked_until, lockouts, updated_at
    FROM login_throttle WHERE scope = @scope AND key = @key`);
  const upsert = db.prepare(`INSERT INTO login_throttle
      (scope, key, failures, in_flight, window_started_at, locked_until, lockouts, updated_at)
    VALUES (@scope, @key, @failures, @inFlight, @windowStartedAt, @lockedUntil, @lockouts, @updatedAt)
    ON CONFLICT (scope, key) DO UPDATE SET failures = excluded.failures, in_flight = excluded.in_flight,
      window_started_at = excluded.window_started_at, locked_until = excluded.locked_until,
      lockouts = excluded.lockouts, updated_at = excluded.updated_at`);
  const purge = db.prepare(`DELETE FROM login_throttle
    WHERE updated_at < @before AND (locked_until IS NULL OR locked_until < @now)`);

  return {
    find: (scope: ThrottleScope, key: string): ThrottleState | null => {
      const row = find.get({ scope, key });
      return row
        ? {
          scope: row.scope,
          key: row.key,
          failures: row.failures,
          inFlight: row.in_flight,
          windowStartedAt: row.window_started_at,
          lockedUntil: row.locked_until,
          lockouts: row.lockouts,
          updatedAt: row.updated_at,
        }
        : null;
    },
    save: (state: ThrottleState): void => {
      upsert.run(state);
    },
    purgeIdle: (before: string, now: string): number => purge.run({ before, now }).changes,
  };
}
