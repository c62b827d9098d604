import { z } from 'zod';
import { pagingSchemas } from '../../http/id-param.js';
import { BadRequest } from '../../http/errors.js';
import { checkPassword } from '../../passwords/password-policy.js';
import { ROLES } from '../../domain/roles.js';

export const usernameSchema = z.string({ error: 'Username is required' })
  .trim()
  .min(3, 'Username must be at least 3 characters')
  .max(64, 'Username must be at most 64 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'Username may contain letters, digits and . _ @ - only');

const role = z.enum(ROLES, { error: 'role must be one of worker, manager, admin' });

export const listQuerySchema = z.object({
  search: z.string().trim().max(64).optional().transform((v) => v || undefined),
  role: z.enum(ROLES, { error: 'role must be one of worker, manager, admin' }).optional().or(z.literal('').transform(() => undefined)),
  status: z.enum(['active', 'terminated', 'all'], { error: 'status must be active, terminated or all' }).optional()
    .or(z.literal('').transform(() => undefined))
    .transform((v) => (v === 'all' ? undefined : v)),
  ...pagingSchemas,
});

export const createUserSchema = z.strictObject({
  username: z.string({ error: 'username is required' }),
  password: z.string({ error: 'password is required' }),
  role: role,
}, { error: (issue) => (issue.code === 'unrecognized_keys' ? `Unknown field: ${issue.keys.join(', ')}` : undefined) });

export const updateUserSchema = z.strictObject({
  username: z.string({ error: 'username must be a string' }).optional(),
  password: z.string({ error: 'password must be a string' }).optional(),
  is_active: z.boolean({ error: 'is_active must be true or false' }).optional(),
}, { error: (issue) => (issue.code === 'unrecognized_keys' ? `Unknown field: ${issue.keys.join(', ')}` : undefined) })
  .refine((v) => Object.keys(v).length > 0, { message: 'Nothing to update: send username, password or is_active' });

export const roleChangeSchema = z.strictObject({ role }, { error: (issue) => (issue.code === 'unrecognized_keys' ? `Unknown field: ${issue.keys.join(', ')}` : undefined) });
export const transferSchema = z.strictObject({ manager_id: z.number({ error: 'manager_id must be a user id' }).int().positive() });

/** A valid username, or a 400 naming the field. */
export function parseUsername(raw: unknown): string {
  const parsed = usernameSchema.safeParse(raw);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? 'Invalid username';
    throw new BadRequest(message, { username: message });
  }
  return parsed.data;
}

/** The password policy as input validation: a 400 naming `field` and the rule that failed. */
export function assertPasswordAllowed(password: string, username: string, requireClasses: boolean, field = 'password'): void {
  const failure = checkPassword(password, { username, requireClasses });
  if (failure) throw new BadRequest(failure.message, { [field]: failure.message });
}
