import crypto from 'node:crypto';
import type { Db } from '../../db.js';
import { createThrottleRepo, type ThrottleScope, type ThrottleState } from './throttle.repo.js';

export interface ThrottleSettings {
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  windowMinutes: number;
  lockBaseSeconds: number;
  lockMaxSeconds: number;
}

const IDLE_RESET_MS = 24 * 3600 * 1000;

/**
 * Login failure throttling kept in SQLite: per account (low ceiling) and per client IP (high
 * ceiling, so one worker's typos behind the main app's single IP never lock the others out).
 * Each lock lasts twice as long as the one before, up to lockMaxSeconds.
 */
export function createThrottle(db: Db, settings: ThrottleSettings, keySecret: string, clock: () => number = Date.now) {
  const repo = createThrottleRepo(db);
  const windowMs = settings.windowMinutes * 60_000;

  const accountKey = (username: string) =>
    crypto.createHmac('sha256', keySecret).update(username.trim().toLowerCase()).digest('base64url');

  const keys = (username: string, ip: string): Array<[ThrottleScope, string, number]> => [
    ['account', accountKey(username), settings.maxFailuresPerAccount],
    ['ip', ip, settings.maxFailuresPerIp],
  ];

  /** Seconds until the account or the IP may try again, or 0 when neither is locked. */
  function retryAfter(username: string, ip: string): number {
    const now = clock();
    let wait = 0;
    for (const [scope, key] of keys(username, ip)) {
      const lockedUntil = repo.find(scope, key)?.lockedUntil;
      if (lockedUntil) wait = Math.max(wait, Date.parse(lockedUntil) - now);
    }
    return wait > 0 ? Math.ceil(wait / 1000) : 0;
  }

  function nextState(previous: ThrottleState | null, scope: ThrottleScope, key: string, max: number): ThrottleState {
    const now = clock();
    const iso = new Date(now).toISOString();
    const freshWindow = !previous || Date.parse(previous.windowStartedAt) + windowMs <= now;
    const lockouts = previous && Date.parse(previous.updatedAt) + IDLE_RESET_MS > now ? previous.lockouts : 0;
    const failures = (freshWindow ? 0 : previous!.failures) + 1;
    const state: ThrottleState = {
      scope, key, failures, lockouts,
      windowStartedAt: freshWindow ? iso : previous!.windowStartedAt,
      lockedUntil: previous?.lockedUntil && Date.parse(previous.lockedUntil) > now ? previous.lockedUntil : null,
      updatedAt: iso,
    };
    if (failures >= max) {
      const seconds = Math.min(settings.lockBaseSeconds * 2 ** lockouts, settings.lockMaxSeconds);
      return { ...state, failures: 0, windowStartedAt: iso, lockouts: lockouts + 1,
        lockedUntil: new Date(now + seconds * 1000).toISOString() };
    }
    return state;
  }

  const recordFailure = db.transaction((username: string, ip: string): void => {
    for (const [scope, key, max] of keys(username, ip)) {
      repo.save(nextState(repo.find(scope, key), scope, key, max));
    }
  });

  /** A correct password clears the account's failures; the IP's count stays. */
  function recordSuccess(username: string): void {
    repo.remove('account', accountKey(username));
  }

  function purgeIdle(): number {
    const now = clock();
    const before = new Date(now - Math.max(windowMs, IDLE_RESET_MS)).toISOString();
    return repo.purgeIdle(before, new Date(now).toISOString());
  }

  return { retryAfter, recordFailure: (u: string, ip: string) => recordFailure.immediate(u, ip), recordSuccess, purgeIdle };
}

export type Throttle = ReturnType<typeof createThrottle>;
