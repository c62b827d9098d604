import { z } from 'zod';
import { pagingSchemas, queryId } from '../../http/id-param.js';
import { MESSAGE_STATUSES } from './messages.repo.js';

export const MAX_MESSAGES_PER_BULK = 1000;

const status = z.enum(MESSAGE_STATUSES, { error: `status must be one of ${MESSAGE_STATUSES.join(', ')}` });
const optionalText = (field: string, max: number) =>
  z.string({ error: `${field} must be a string` }).max(max, `${field} must be at most ${max} characters`).nullish()
    .transform((v) => v ?? null);

/** One message as the main app logs it. The sender is always the token's user, never the body. */
export const messageSchema = z.object({
  recipient_phone: z.union([z.string(), z.number()], { error: 'recipient_phone is required' }),
  message_content: optionalText('message_content', 65_536),
  attachment_path: optionalText('attachment_path', 1024),
  template_used: optionalText('template_used', 200),
  status: status.default('sent'),
}, { error: 'Body must be a JSON object' });

export const bulkSchema = z.object({
  messages: z.array(z.unknown(), { error: 'messages must be a list' })
    .min(1, 'No messages provided').max(MAX_MESSAGES_PER_BULK, `At most ${MAX_MESSAGES_PER_BULK} messages per request`),
}, { error: 'Body must be a JSON object' });

// Stored times are ISO strings with four-digit years, so a bound past the year 9999 bounds nothing.
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

export const messagesQuerySchema = z.object({
  ...pagingSchemas,
  sender_id: queryId('sender_id').optional(),
  status: status.optional(),
  search: z.string({ error: 'search must be text' }).max(32, 'search must be at most 32 characters').optional().transform((v) => v?.trim() || undefined),
  from: instant('from', false),
  to: instant('to', true),
});
