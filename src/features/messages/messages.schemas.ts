import { z } from 'zod';
import { instant, pagingSchemas, phoneNumber, queryId } from '../../http/schemas.js';
import { MESSAGE_STATUSES } from './messages.repo.js';

export const MAX_MESSAGES_PER_BULK = 1000;

const status = z.enum(MESSAGE_STATUSES, { error: `status must be one of ${MESSAGE_STATUSES.join(', ')}` });
const optionalText = (field: string, max: number) =>
  z.string({ error: `${field} must be a string` }).max(max, `${field} must be at most ${max} characters`).nullish()
    .transform((v) => v ?? null);

/**
 * One message as the main app logs it, read with this deployment's DEFAULT_COUNTRY: the
 * recipient is stored in its canonical form, so every spelling of a number shares one
 * per-destination quota. The sender is always the token's user, never the body.
 */
export function messageSchemas(defaultCountry: string | undefined) {
  const message = z.object({
    message_content: optionalText('message_content', 65_536),
    attachment_path: optionalText('attachment_path', 1024),
    template_used: optionalText('template_used', 200),
    status: status.default('sent'),
    recipient_phone: phoneNumber('recipient_phone', defaultCountry),
  }, { error: 'Body must be a JSON object' }).transform((m) => ({
    recipientPhone: m.recipient_phone, messageContent: m.message_content, attachmentPath: m.attachment_path,
    templateUsed: m.template_used, status: m.status,
  }));
  // The list's length is judged first: a request with too many messages is refused as that.
  const bulk = z.object({
    messages: z.array(z.unknown(), { error: 'messages must be a list' })
      .min(1, 'No messages provided').max(MAX_MESSAGES_PER_BULK, `At most ${MAX_MESSAGES_PER_BULK} messages per request`)
      .pipe(z.array(message)),
  }, { error: 'Body must be a JSON object' });
  return { message, bulk };
}

export type MessageDraft = z.output<ReturnType<typeof messageSchemas>['message']>;

/** The filters of the log, as the console's filter form and the API's query both give them. */
export const messageFilterSchema = z.object({
  sender_id: queryId('sender_id').optional(),
  status: status.optional(),
  search: z.string({ error: 'search must be text' }).max(32, 'search must be at most 32 characters').optional().transform((v) => v?.trim() || undefined),
  // Stored times are ISO strings with four-digit years, so a bound past the year 9999 bounds nothing.
  from: instant('from', false),
  to: instant('to', true),
});

export const messagesQuerySchema = z.object({ ...pagingSchemas, ...messageFilterSchema.shape });
