import { isIP } from 'node:net';
import { z } from 'zod';
import { isActivityAction, type ActivityAction } from '../../domain/activity.js';
import { instant, pagingSchemas, queryId } from '../../http/schemas.js';

const username = (field: string) => z.string({ error: `${field} must be a username` }).trim()
  .max(64, `${field} must be at most 64 characters`).optional().transform((v) => v || undefined);

/** The filters of the log, as the console's filter form and the API's query both give them. */
export const activityFilterSchema = z.object({
  /** Done by the account of this name (as typed; names are unique in any case). */
  user: username('user'),
  /** About (targeting) the account of this name. */
  about: username('about'),
  user_id: queryId('user_id').optional(),
  action: z.string({ error: 'action must be text' }).trim().optional()
    .refine((v) => !v || isActivityAction(v), 'action must be one of the actions the log records')
    .transform((v) => (v ? (v as ActivityAction) : undefined)),
  outcome: z.enum(['success', 'failure', 'denied'], { error: 'outcome must be success, failure or denied' }).optional(),
  ip: z.string({ error: 'ip must be an IP address' }).trim().optional()
    .refine((v) => !v || isIP(v) !== 0, 'ip must be an IP address, like 203.0.113.7')
    .transform((v) => v || undefined),
  from: instant('from', false),
  to: instant('to', true),
});

export type ActivityFilterQuery = Partial<z.output<typeof activityFilterSchema>>;

export const ACTIVITY_FILTER_FIELDS = ['user', 'about', 'user_id', 'action', 'outcome', 'ip', 'from', 'to'] as const;

export const activityQuerySchema = z.object({ ...pagingSchemas, ...activityFilterSchema.shape });
