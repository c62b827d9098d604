import crypto from 'node:crypto';
import { isoTime, type Clock } from '../clock.js';
import { writeTransaction, type Db } from '../db.js';
import { clientKey } from '../http/client-key.js';
import { createThrottleRepo, type ThrottleScope, type ThrottleState } from './throttle.repo.js';

export interface ThrottleSettings {
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  windowMinutes: number;
  lockBaseSeconds: number;
  lockMaxSeconds: number;
}

export type AttemptOutcome = 'success' | 'failure' | 'cancelled';

/** A reserved password check; settle it exactly once with how it ended. */
export interface Attempt {
  settle(outcome: AttemptOutcome): void;
}

export type Reservation = { ok: true; attempt: Attempt } | { ok: false; retryAfterSeconds: number };

const IDLE_RESET_MS = 24 * 3600 * 1000;

/**
 * The attempt budget for guessable secrets, kept in SQLite, per account (low ceiling) and per
 * client IP (high ceiling, so one worker's typos behind the main app's single IP never lock the
 * others out). An attempt is reserved before its password is verified, in one IMMEDIATE
 * transaction: failures + checks in flight never exceed the ceiling, however many requests
 * arrive at once. Reaching the ceiling locks; each lock lasts twice the previous one, up to
 * lockMaxSeconds.
 */
export interface ThrottleDeps {
  db: Db;
  settings: ThrottleSettings;
  /** Keys the account names in the table (HMAC), so a stolen database does not list who was attacked. */
  keySecret: string;
  clock: Clock;
  onLockout?: (scope: ThrottleScope) => void;
}

export function createThrottle(deps: ThrottleDeps) {
  const { db, settings, keySecret, clock, onLockout } = deps;
  const repo = createThrottleRepo(db);
  const windowMs = settings.windowMinutes * 60_000;

  const accountKey = (username: string) =>
    crypto.createHmac('sha256', keySecret).update(username.trim().toLowerCase()).digest('base64url');

  const keys = (username: string, ip: string): Array<[ThrottleScope, string, number]> => [
    ['account', accountKey(username), settings.maxFailuresPerAccount],
    ['ip', clientKey(ip), settings.maxFailuresPerIp],
  ];

  /** The row as it stands now: a finished window starts afresh, an idle day forgets past locks. */
  function current(scope: ThrottleScope, key: string, now: number): ThrottleState {
    const iso = isoTime(now);
    const previous = repo.find(scope, key);
    const fresh = { scope, key, failures: 0, inFlight: 0, windowStartedAt: iso, lockedUntil: null, lockouts: 0, updatedAt: iso };
    if (!previous) return fresh;
    const lockedUntil = previous.lockedUntil && Date.parse(previous.lockedUntil) > now ? previous.lockedUntil : null;
    const lockouts = Date.parse(previous.updatedAt) + IDLE_RESET_MS > now ? previous.lockouts : 0;
    if (Date.parse(previous.windowStartedAt) + windowMs <= now) return { ...fresh, lockedUntil, lockouts };
    return { ...previous, lockedUntil, lockouts };
  }

  const lockSeconds = (lockouts: number) => Math.min(settings.lockBaseSeconds * 2 ** lockouts, settings.lockMaxSeconds);

  /** Seconds to wait before this key may be tried, or 0 when it has budget left. */
  function wait(state: ThrottleState, max: number, now: number): number {
    if (state.lockedUntil) return Math.ceil((Date.parse(state.lockedUntil) - now) / 1000);
    // The budget is taken by checks still running, which end within a second or so: in a lock
    // (which the next try then meets) or freeing their place.
    if (state.failures + state.inFlight >= max) return 1;
    return 0;
  }

  function reserve(username: string, ip: string): Reservation {
    const now = clock();
    const states = keys(username, ip).map(([scope, key, max]) => ({ state: current(scope, key, now), max }));
    const retryAfterSeconds = Math.max(...states.map(({ state, max }) => wait(state, max, now)));
    if (retryAfterSeconds > 0) return { ok: false, retryAfterSeconds };
    const updatedAt = isoTime(now);
    for (const { state } of states) repo.save({ ...state, inFlight: state.inFlight + 1, updatedAt });
    let settled = false;
    return {
      ok: true,
      attempt: {
        settle: (outcome) => {
          if (settled) return;
          settled = true;
          writeTransaction(db, () => settle(username, ip, outcome));
        },
      },
    };
  }

  /** Ends a reserved check: a failure counts (and may lock), a success clears the account's failures. */
  function settle(username: string, ip: string, outcome: AttemptOutcome): void {
    const now = clock();
    const updatedAt = isoTime(now);
    for (const [scope, key, max] of keys(username, ip)) {
      const state = current(scope, key, now);
      const next = { ...state, inFlight: Math.max(0, state.inFlight - 1), updatedAt };
      if (outcome === 'failure') next.failures += 1;
      if (outcome === 'success' && scope === 'account') next.failures = 0;
      if (next.failures >= max) {
        Object.assign(next, { failures: 0, windowStartedAt: updatedAt, lockouts: state.lockouts + 1,
          lockedUntil: isoTime(now + lockSeconds(state.lockouts) * 1000) });
        onLockout?.(scope);
      }
      repo.save(next);
    }
  }

  function purgeIdle(): number {
    const now = clock();
    return repo.purgeIdle(isoTime(now - Math.max(windowMs, IDLE_RESET_MS)), isoTime(now));
  }

  return {
    /** Reserves one check of a password for this username from this IP, or says how long to wait. */
    reserve: (username: string, ip: string): Reservation => writeTransaction(db, () => reserve(username, ip)),
    purgeIdle,
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
