import type { ErrorRequestHandler, Request } from 'express';
import { z } from 'zod';
import { BadRequest } from './errors.js';

// Canonical only: `Number()` would also accept 1e0, 0x1, 01, 1.0 and ' 1', which makes one row
// reachable under many spellings (cache keys, logs and rate limits no longer agree on "which id").
const CANONICAL_INTEGER = /^(0|[1-9][0-9]{0,15})$/;

const complaint = (name: string) => `${name} must be a positive whole number`;

/** A path id as an integer, or a 400 naming the parameter. */
export function parseId(raw: unknown, name = 'id'): number {
  const id = typeof raw === 'string' && CANONICAL_INTEGER.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id) || id < 1) throw new BadRequest(complaint(name), { [name]: complaint(name) });
  return id;
}

/** `req.params[name]` parsed by `parseId`; called by handlers after the guard, so 401/403 come first. */
export function pathId(req: Request, name = 'id'): number {
  return parseId(req.params[name], name);
}

/**
 * The router fails to decode a param like `%` or `%E0` before any handler runs and passes on a
 * bare URIError (which would answer 500): mount after a router's routes to answer 400 instead.
 */
export const undecodableParam = (name = 'id'): ErrorRequestHandler => (err, _req, _res, next) => {
  const status = (err as { status?: unknown } | null)?.status;
  next(err instanceof URIError && status === 400 ? new BadRequest(complaint(name), { [name]: complaint(name) }) : err);
};

/** A whole number in a query string, written canonically like a path id (0 allowed), from min to max. */
export const queryInteger = (message: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.string({ error: message }).regex(CANONICAL_INTEGER, message).transform(Number)
    .pipe(z.number().min(min, message).max(max, message));

/** A user id in a query string (a filter), or a 400 naming the field. */
export const queryId = (field: string) => queryInteger(`${field} must be a user id`, 1);

/** `limit` and `offset` of every JSON listing. */
export const pagingSchemas = {
  limit: queryInteger('limit must be an integer from 1 to 500', 1, 500).default(100),
  offset: queryInteger('offset must be a whole number', 0).default(0),
};
