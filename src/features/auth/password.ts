import crypto from 'node:crypto';
import argon2 from 'argon2';
import { createLimiter } from '../../concurrency.js';

// OWASP's argon2id baseline (19 MiB, t=2, p=1): ~27 ms to hash, ~19 ms to verify here.
const HASH_OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

// argon2 runs on libuv's 4-thread pool, which file and crypto work share; two hashes at a time
// leave room for the rest, so a login flood cannot starve everything else.
const limit = createLimiter(2, 200);

export function hashPassword(password: string): Promise<string> {
  return limit(() => argon2.hash(password, HASH_OPTIONS));
}

export function verifyPassword(hash: string, password: string): Promise<boolean> {
  return limit(() => argon2.verify(hash, password));
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same work as a real verification, for unknown users, so that timing does not
 * tell whether an account exists. Always false.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword(crypto.randomBytes(32).toString('base64url'));
  await verifyPassword(await dummyHash, password);
  return false;
}

export function needsRehash(hash: string): boolean {
  return argon2.needsRehash(hash, HASH_OPTIONS);
}
