import { z } from 'zod';
import { pagingSchemas, queryId } from '../../http/id-param.js';
import { instant } from '../../http/schemas.js';
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
export const messagesQuerySchema = z.object({
  ...pagingSchemas,
  sender_id: queryId('sender_id').optional(),
  status: status.optional(),
  search: z.string({ error: 'search must be text' }).max(32, 'search must be at most 32 characters').optional().transform((v) => v?.trim() || undefined),
  from: instant('from', false),
  to: instant('to', true),
});
