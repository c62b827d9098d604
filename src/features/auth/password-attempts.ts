import { QueueFullError } from '../../concurrency.js';
import { ServiceBusy } from '../../http/errors.js';
import type { Logger } from '../../http/logger.js';
import { passwordChecksSaturated, verifyAgainstDummy, verifyPassword, type PasswordVerdict } from './password.js';
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
export function createPasswordAttempts(throttle: Throttle, logger: Logger, clock: () => number = Date.now) {
  const reportBusy = busyReporter(logger, clock);
  const busy = () => {
    reportBusy();
    return new ServiceBusy();
  };
  return async function attemptPassword(username: string, hash: string | null, password: string, ip: string): Promise<PasswordAttempt> {
    // Shed before anything is written: a refused request must cost the database nothing.
    if (passwordChecksSaturated()) throw busy();
    const reservation = throttle.reserve(username, ip);
    if (!reservation.ok) return { kind: 'throttled', retryAfterSeconds: reservation.retryAfterSeconds };
    try {
      const verdict = hash ? await verifyPassword(hash, password) : await verifyAgainstDummy(password);
      return { kind: 'checked', attempt: reservation.attempt, ...verdict };
    } catch (err) {
      reservation.attempt.settle('cancelled');
      if (err instanceof QueueFullError) throw busy();
      throw err;
    }
  };
}

export type AttemptPassword = ReturnType<typeof createPasswordAttempts>;

/** One warn line a second at most while sign-ins are shed, with how many were refused since the last. */
function busyReporter(logger: Logger, clock: () => number) {
  let lastAt = -Infinity;
  let refused = 0;
  return () => {
    refused += 1;
    if (clock() - lastAt < 1000) return;
    logger.warn('password checks refused: the argon2 queue is full', { refused });
    lastAt = clock();
    refused = 0;
  };
}
