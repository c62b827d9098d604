import { z } from 'zod';

// Input schemas and helpers shared by both surfaces' features; each feature's own live in its *.schemas.ts.

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
    const ms = Date.parse(dateOnly ? `${value}T00:00:00.000Z` : value);
    if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(value) || !realDay(value)) {
      ctx.addIssue({ code: 'custom', message: `${field} must be a date (YYYY-MM-DD) or an ISO 8601 time` });
      return z.NEVER;
    }
    const bound = end ? ms + (dateOnly ? 86_400_000 : 1) : ms;
    if (end && bound > LAST_INSTANT) return undefined;
    return new Date(bound).toISOString();
  });

/** First message per field, for re-rendering a form. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form');
    out[field] ??= issue.message;
  }
  return out;
}
