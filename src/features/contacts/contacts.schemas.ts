import { z } from 'zod';
import { pagingSchemas } from '../../http/schemas.js';

export const MAX_CONTACTS_PER_SYNC = 10_000;
const NONE = 'No contacts provided';
const TOO_MANY = `At most ${MAX_CONTACTS_PER_SYNC} contacts per request`;

// Entries are read one by one by the service: one that is not a phone is skipped and reported, not refused.
// The list's size is judged once the body's shape is right.
export const syncBodySchema = z.object({
  contacts: z.array(z.unknown(), { error: 'contacts must be a list' }).optional(),
  source_group: z.string({ error: 'source_group must be a string' }).trim().max(200, 'source_group must be at most 200 characters').optional(),
}, { error: 'Body must be a JSON object' }).transform((body, ctx) => {
  const contacts = body.contacts ?? [];
  const problem = contacts.length === 0 ? NONE : contacts.length > MAX_CONTACTS_PER_SYNC ? TOO_MANY : null;
  if (problem) {
    ctx.addIssue({ code: 'custom', path: ['contacts'], message: problem });
    return z.NEVER;
  }
  return { contacts, sourceGroup: body.source_group || undefined };
});

/**
 * A search term: stored names and phones never hold control characters (sync replaces them),
 * so a term with one can match nothing, and the search index cannot even take a NUL.
 */
export const searchText = z.string({ error: 'search must be text' }).max(100, 'search must be at most 100 characters')
  // eslint-disable-next-line no-control-regex -- control characters are exactly what it refuses
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'search must not contain control characters').optional()
  .transform((v) => v?.trim() || undefined);

export const contactsQuerySchema = z.object({
  search: searchText,
  source_group: z.string({ error: 'source_group must be text' }).max(200).optional(),
  ...pagingSchemas,
});

/** The console's filter form (`group` there, `source_group` in the API). */
export const contactsFilterSchema = z.object({
  search: searchText,
  group: z.string().max(200).optional().transform((v) => v?.trim() || undefined),
});
