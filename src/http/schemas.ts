import { z } from 'zod';
import { readPhone } from '../phone.js';

// Input schemas both surfaces share (ids, paging, times, phones); each feature's own live in its *.schemas.ts.

// Canonical only: `Number()` would also accept 1e0, 0x1, 01, 1.0 and ' 1', which makes one row
// reachable under many spellings (cache keys, logs and rate limits no longer agree on "which id").
const CANONICAL_INTEGER = /^(0|[1-9][0-9]{0,15})$/;

/** A whole number written canonically (0 allowed), from min to max, as a path or query string gives it. */
export const queryInteger = (message: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.string({ error: message }).regex(CANONICAL_INTEGER, message).transform(Number)
    .pipe(z.number().min(min, message).max(max, message));

/** A path id (`/users/:id`). */
export const pathIdSchema = (name = 'id') => queryInteger(`${name} must be a positive whole number`, 1);

/** A user id in a query string (a filter). */
export const queryId = (field: string) => queryInteger(`${field} must be a user id`, 1);

/** `limit` and `offset` of every JSON listing. */
export const pagingSchemas = {
  limit: queryInteger('limit must be an integer from 1 to 500', 1, 500).default(100),
  offset: queryInteger('offset must be a whole number', 0).default(0),
};

const MAX_PAGE = 1_000_000;

/** `?page=N` of a panel list: a link someone edited by hand shows the first page rather than an error. */
export const pageSchema = z.unknown().transform((raw) => {
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= MAX_PAGE ? n : 1;
});

const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/** Whether a YYYY-MM-DD prefix is a real day (Date.parse rolls 2024-02-31 over to March). */
const realDay = (value: string) => {
  const ms = Date.parse(`${value.slice(0, 10)}T00:00:00.000Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === value.slice(0, 10);
};

/**
 * A date (whole day, UTC) or a full ISO timestamp; `end` makes a date cover its whole day.
 * An end past the year 9999 (`to=9999-12-31`) means no upper bound rather than an overflow.
 */
export const instant = (field: string, end: boolean) => z.string({ error: `${field} must be a date` }).trim().optional()
  .transform((value, ctx) => {
    if (!value) return undefined;
    const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
    // A time without a zone (what a datetime-local field sends) is UTC, as the console says, never the server's zone.
    const zoneless = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(value);
    const ms = Date.parse(dateOnly ? `${value}T00:00:00.000Z` : zoneless ? `${value}Z` : value);
    if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(value) || !realDay(value)) {
      ctx.addIssue({ code: 'custom', message: `${field} must be a date (YYYY-MM-DD) or an ISO 8601 time` });
      return z.NEVER;
    }
    const bound = end ? ms + (dateOnly ? 86_400_000 : 1) : ms;
    if (end && bound > LAST_INSTANT) return undefined;
    return new Date(bound).toISOString();
  });

/**
 * A phone number as the main app sends it (text or a number), in its canonical E.164 form, so
 * every spelling of a destination is one; `defaultCountry` reads numbers written without a
 * country code (see phone.ts). For a transform: an unreadable number is an issue at `field`.
 */
export function canonicalPhone(raw: unknown, field: string, defaultCountry: string | undefined, ctx: z.RefinementCtx): string {
  const reading = readPhone(raw, defaultCountry);
  if (reading.ok) return reading.phone;
  ctx.addIssue({ code: 'custom', path: [field], message: `${field} is not a phone number: ${reading.reason}` });
  return '';
}

/** Rejects unknown fields by name (mass assignment), with the message every strict body uses. */
export const unknownFieldsMessage = { error: (issue: { code: string; keys?: string[] }) =>
  (issue.code === 'unrecognized_keys' ? `Unknown field: ${issue.keys!.join(', ')}` : undefined) };

/** A text field of a console form; a field sent twice (`a=1&a=2`) arrives as a list and is refused. */
export const formText = z.string({ error: 'Send this field once, as text' }).default('');

/** A form field as typed, to show it again (a repeated field as it was joined); '' when absent. */
export const typedField = (body: unknown, name: string): string => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (typeof value === 'string') return value;
  return Array.isArray(value) ? value.join(',') : '';
};

/** A body field only when it is one string, as a token or a username is read. */
export const bodyString = (body: unknown, name: string): string | undefined => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
};
