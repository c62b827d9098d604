import crypto from 'node:crypto';
import argon2 from 'argon2';
import { createLimiter, QueueFullError } from '../concurrency.js';
import { ServiceBusy } from '../errors.js';

// OWASP's argon2id baseline (19 MiB, t=2, p=1): ~27 ms to hash, ~19 ms to verify here.
const HASH_OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

// argon2 runs on libuv's 4-thread pool, which file and crypto work share; two hashes at a time
// leave room for the rest, so a login flood cannot starve everything else. Past 200 waiting,
// callers get QueueFullError at once (answered 503) instead of an ever longer wait.
const limiter = createLimiter({ concurrency: 2, maxQueued: 200 });

/** Runs argon2 work in the bounded pool; a full pool answers 503 busy wherever it is hit. */
async function limit<T>(task: () => Promise<T>): Promise<T> {
  try {
    return await limiter(task);
  } catch (err) {
    throw err instanceof QueueFullError ? new ServiceBusy() : err;
  }
}

/**
 * The same password typed on another keyboard or input method can arrive in another Unicode
 * form (a full-width digit, a composed accent): NFKC makes them one password.
 */
const normalise = (password: string) => password.normalize('NFKC');

/** True while a new password check would be refused at once. */
export const passwordChecksSaturated = (): boolean => limiter.isFull();

export function hashPassword(password: string): Promise<string> {
  return limit(() => argon2.hash(normalise(password), HASH_OPTIONS));
}

export interface PasswordVerdict {
  valid: boolean;
  /** The hash should be replaced: older parameters, or made before passwords were normalised. */
  rehash: boolean;
}

/**
 * Checks a password against its hash. Hashes made before normalisation match the password as
 * it was typed, so a miss on the normal form tries that once (only for passwords that NFKC
 * changes) and asks for a rehash.
 */
export function verifyPassword(hash: string, password: string): Promise<PasswordVerdict> {
  const normal = normalise(password);
  // Both tries in one slot: a guess is checked whole or not at all, never half-counted.
  return limit(async () => {
    if (await argon2.verify(hash, normal)) return { valid: true, rehash: argon2.needsRehash(hash, HASH_OPTIONS) };
    if (normal !== password && (await argon2.verify(hash, password))) return { valid: true, rehash: true };
    return { valid: false, rehash: false };
  });
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same work as a real verification, for unknown users, so that timing does not
 * tell whether an account exists. Never valid.
 */
export async function verifyAgainstDummy(password: string): Promise<PasswordVerdict> {
  dummyHash ??= hashPassword(crypto.randomBytes(32).toString('base64url'));
  await verifyPassword(await dummyHash, password);
  return { valid: false, rehash: false };
}
