import { z } from 'zod';
import { FLAG_RULES, SEVERITIES } from '../../domain/activity.js';
import { formText, queryId, queryInteger, unknownFieldsMessage } from '../../http/schemas.js';

export const NOTE_MAX = 500;
/** The most flags one acknowledgement takes from the console (a page of them fits; the form parser takes 50 fields). */
export const FORM_ACK_MAX = 40;
const API_ACK_MAX = 200;
const CANONICAL_ID = /^[1-9][0-9]{0,15}$/;

/** The filters of the flags list, as the console's filter form and the API's query both give them. */
export const flagFilterSchema = z.object({
  rule: z.enum(FLAG_RULES, { error: `rule must be one of ${FLAG_RULES.join(', ')}` }).optional(),
  severity: z.enum(SEVERITIES, { error: 'severity must be low, medium or high' }).optional(),
  state: z.enum(['open', 'acknowledged', 'all'], { error: 'state must be open, acknowledged or all' }).optional(),
  user_id: queryId('user_id').optional(),
});

export const FLAG_FILTER_FIELDS = ['rule', 'severity', 'state', 'user_id'] as const;

export const flagsQuerySchema = z.object({
  ...flagFilterSchema.shape,
  acknowledged: z.enum(['true', 'false'], { error: 'acknowledged must be true or false' }).optional().transform((v) => (v === undefined ? undefined : v === 'true')),
  limit: queryInteger('limit must be an integer from 1 to 500', 1, 500).default(200),
  offset: queryInteger('offset must be a whole number', 0).default(0),
});

const note = (text: z.ZodType<string>) => text.pipe(z.string().trim().max(NOTE_MAX, `The note must be at most ${NOTE_MAX} characters`))
  .transform((v) => v || null);

/** The checked boxes: one id arrives as text, several as a list. */
const checkedFlags = z.union([z.string(), z.array(z.string())]).optional().transform((value, ctx) => {
  const ids = value === undefined ? [] : ([] as string[]).concat(value);
  const problem = ids.length === 0 ? 'Choose at least one flag to acknowledge'
    : ids.length > FORM_ACK_MAX ? `Choose at most ${FORM_ACK_MAX} flags at a time`
    : ids.some((id) => !CANONICAL_ID.test(id)) ? 'A chosen flag is not a flag id' : null;
  if (problem) {
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  return ids.map(Number);
});

/** The console's bulk acknowledgement: the checked flags and a note. */
export const acknowledgeFormSchema = z.object({ flag_ids: checkedFlags, note: note(formText) });

/** One flag's acknowledgement from the console: a note at most. */
export const acknowledgeOneFormSchema = z.object({ note: note(formText) });

/** The API's acknowledgement of one flag: an optional note (the body may be empty and other fields are ignored, as they always were). */
export const acknowledgeOneSchema = z.object({ note: note(z.string({ error: 'note must be text' })).optional() });

/** The API's bulk acknowledgement. */
export const acknowledgeManySchema = z.strictObject({
  ids: z.array(z.number({ error: 'ids must be flag ids' }).int('ids must be flag ids').positive('ids must be flag ids'), { error: 'ids must be a list of flag ids' })
    .min(1, 'ids must name at least one flag').max(API_ACK_MAX, `ids may name at most ${API_ACK_MAX} flags`),
  note: note(z.string({ error: 'note must be text' })).optional(),
}, unknownFieldsMessage);
