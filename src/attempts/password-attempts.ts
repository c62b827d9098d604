import { ServiceBusy } from '../errors.js';
import { passwordChecksSaturated, verifyAgainstDummy, verifyPassword, type PasswordVerdict } from '../passwords/password.js';
import type { Attempt, Throttle } from './throttle.js';

export type PasswordAttempt =
  | ({ kind: 'checked'; attempt: Attempt } & PasswordVerdict)
  | { kind: 'throttled'; retryAfterSeconds: number };

/**
 * Every guess of a password (sign-in, current password) goes through here: the attempt is
 * reserved in the account's and the IP's budget before argon2 runs, and the caller settles it
 * with the outcome, in the transaction that records it. An unknown account costs the same work
 * and the same budget as a known one.
 */
export function createPasswordAttempts(deps: { throttle: Throttle }) {
  const { throttle } = deps;
  return async function attemptPassword(username: string, hash: string | null, password: string, ip: string): Promise<PasswordAttempt> {
    // Shed before anything is written: a refused request must cost the database nothing.
    if (passwordChecksSaturated()) throw new ServiceBusy();
    const reservation = throttle.reserve(username, ip);
    if (!reservation.ok) return { kind: 'throttled', retryAfterSeconds: reservation.retryAfterSeconds };
    try {
      const verdict = hash ? await verifyPassword(hash, password) : await verifyAgainstDummy(password);
      return { kind: 'checked', attempt: reservation.attempt, ...verdict };
    } catch (err) {
      reservation.attempt.settle('cancelled');
      throw err;
    }
  };
}

export type AttemptPassword = ReturnType<typeof createPasswordAttempts>;
