import { z } from 'zod';
import { canonicalPhone, instant, pagingSchemas, queryId } from '../../http/schemas.js';
import { MESSAGE_STATUSES } from './messages.repo.js';

export const MAX_MESSAGES_PER_BULK = 1000;

const status = z.enum(MESSAGE_STATUSES, { error: `status must be one of ${MESSAGE_STATUSES.join(', ')}` });
const optionalText = (field: string, max: number) =>
  z.string({ error: `${field} must be a string` }).max(max, `${field} must be at most ${max} characters`).nullish()
    .transform((v) => v ?? null);

/**
 * One message as the main app logs it, read with this deployment's DEFAULT_COUNTRY: the
 * recipient is stored in its canonical form, so every spelling of a number shares one
 * per-destination quota; it is read once the rest of the message is valid. The sender is
 * always the token's user, never the body.
 */
export function messageSchemas(defaultCountry: string | undefined) {
  const fields = z.object({
    recipient_phone: z.union([z.string(), z.number()], { error: 'recipient_phone is required' }),
    message_content: optionalText('message_content', 65_536),
    attachment_path: optionalText('attachment_path', 1024),
    template_used: optionalText('template_used', 200),
    status: status.default('sent'),
  }, { error: 'Body must be a JSON object' }).transform((m, ctx) => ({
    recipientPhone: canonicalPhone(m.recipient_phone, 'recipient_phone', defaultCountry, ctx), messageContent: m.message_content,
    attachmentPath: m.attachment_path, templateUsed: m.template_used, status: m.status,
  }));
  // A message that is no object is named as `body` (`messages[3].body` in a bulk log); null reads as {}.
  const message = z.preprocess((v) => v ?? {}, z.unknown()).transform((v, ctx) => {
    const parsed = fields.safeParse(v);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: issue.path.length ? issue.path : ['body'], message: issue.message });
    return z.NEVER;
  });
  // The list's length is judged first: a request with too many messages is refused as that.
  const bulk = z.object({
    messages: z.array(z.unknown(), { error: 'messages must be a list' })
      .min(1, 'No messages provided').max(MAX_MESSAGES_PER_BULK, `At most ${MAX_MESSAGES_PER_BULK} messages per request`)
      .pipe(z.array(message)),
  }, { error: 'Body must be a JSON object' });
  return { message: fields, bulk };
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
