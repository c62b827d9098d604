import { z } from 'zod';
import { instant, pagingSchemas, queryId } from '../../http/schemas.js';

/** The filters of the log, as the console's filter form and the API's query both give them. */
export const activityFilterSchema = z.object({
  user_id: queryId('user_id').optional(),
  action: z.string({ error: 'action must be text' }).trim().max(64, 'action must be at most 64 characters').regex(/^[a-z_.]*$/, 'action must look like login or user.terminate').optional()
    .transform((v) => v || undefined),
  outcome: z.enum(['success', 'failure', 'denied'], { error: 'outcome must be success, failure or denied' }).optional(),
  from: instant('from', false),
  to: instant('to', true),
});

export const activityQuerySchema = z.object({ ...pagingSchemas, ...activityFilterSchema.shape });

export const flagsQuerySchema = z.object({
  acknowledged: z.enum(['true', 'false'], { error: 'acknowledged must be true or false' }).optional().transform((v) => (v === undefined ? undefined : v === 'true')),
});
