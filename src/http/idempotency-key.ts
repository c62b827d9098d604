import crypto from 'node:crypto';
import type { Request } from 'express';
import { BadRequest } from '../errors.js';

const HEADER = 'Idempotency-Key';
const MAX_LENGTH = 255;
// Visible ASCII and spaces: a key is an identifier the client made (often a UUID), never data.
const PRINTABLE = /^[\x20-\x7e]+$/;

/**
 * The request's Idempotency-Key, if it sent one, with a fingerprint of what it asks for (the
 * endpoint and the JSON body), so the same key with a different request can be told apart.
 * A key that is empty, longer than 255 characters or not printable is a 400 naming the header.
 */
export function idempotencyOf(req: Request, endpoint: string): { key: string; fingerprint: string } | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const key = Array.isArray(raw) ? raw.join(', ') : raw;
  const problem = key.trim() === '' ? 'must not be empty'
    : key.length > MAX_LENGTH ? `must be at most ${MAX_LENGTH} characters`
    : !PRINTABLE.test(key) ? 'must contain printable ASCII characters only' : null;
  if (problem) throw new BadRequest(`${HEADER} header ${problem}`, { [HEADER]: problem });
  const fingerprint = crypto.createHash('sha256').update(endpoint).update('\n').update(JSON.stringify(req.body ?? null)).digest('hex');
  return { key, fingerprint };
}
