import { z } from 'zod';

export const MAX_CONTACTS_PER_SYNC = 10_000;

export const syncBodySchema = z.object({
  contacts: z.array(z.unknown(), { error: 'contacts must be a list' }).optional(),
  source_group: z.string({ error: 'source_group must be a string' }).trim().max(200, 'source_group must be at most 200 characters').optional(),
}, { error: 'Body must be a JSON object' });

const limit = z.coerce.number({ error: 'limit must be an integer from 1 to 500' }).int('limit must be an integer from 1 to 500')
  .min(1, 'limit must be an integer from 1 to 500').max(500, 'limit must be an integer from 1 to 500').default(100);
const offset = z.coerce.number({ error: 'offset must be an integer ≥ 0' }).int('offset must be an integer ≥ 0')
  .min(0, 'offset must be an integer ≥ 0').default(0);

export const contactsQuerySchema = z.object({
  search: z.string({ error: 'search must be text' }).max(100, 'search must be at most 100 characters').optional()
    .transform((v) => v?.trim() || undefined),
  source_group: z.string({ error: 'source_group must be text' }).max(200).optional(),
  limit,
  offset,
});

export const pagingSchemas = { limit, offset };
