import { z } from 'zod';
import { formText, pagingSchemas, unknownFieldsMessage } from '../../http/schemas.js';
import { parseInput } from '../../http/validate.js';
import { ASSIGNABLE_ROLES } from '../../domain/permissions.js';
import { ROLES } from '../../domain/roles.js';

export const usernameSchema = z.string({ error: 'Username is required' })
  .trim()
  .min(3, 'Username must be at least 3 characters')
  .max(64, 'Username must be at most 64 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'Username may contain letters, digits and . _ @ - only');

const role = z.enum(ROLES, { error: 'role must be one of worker, manager, admin' });
const emptyAsAbsent = z.literal('').transform(() => undefined);

/** The users list's filters, as the console's filter form and the API's query both give them. */
export const userFilterSchema = z.object({
  search: z.string().trim().max(64).optional().transform((v) => v || undefined),
  role: role.optional().or(emptyAsAbsent),
  status: z.enum(['active', 'terminated', 'all'], { error: 'status must be active, terminated or all' }).optional()
    .or(emptyAsAbsent)
    .transform((v) => (v === 'all' ? undefined : v)),
});

export const listQuerySchema = z.object({ ...userFilterSchema.shape, ...pagingSchemas });

export const createUserSchema = z.strictObject({
  username: z.string({ error: 'username is required' }),
  password: z.string({ error: 'password is required' }),
  role: role,
}, unknownFieldsMessage);

export const updateUserSchema = z.strictObject({
  username: z.string({ error: 'username must be a string' }).optional(),
  password: z.string({ error: 'password must be a string' }).optional(),
  is_active: z.boolean({ error: 'is_active must be true or false' }).optional(),
}, unknownFieldsMessage)
  .refine((v) => Object.keys(v).length > 0, { message: 'Nothing to update: send username, password or is_active' });

export const roleChangeSchema = z.strictObject({ role }, unknownFieldsMessage);
export const transferSchema = z.strictObject({ manager_id: z.number({ error: 'manager_id must be a user id' }).int().positive() });

// The console's forms.
const confirmed = (v: { password: string; confirm_password: string }) => v.password === v.confirm_password;
const MISMATCH = 'The two passwords do not match';
// Checked even when another field is refused, so the form shows every message at once.
const passwordsMatch = {
  path: ['confirm_password'], message: MISMATCH,
  when: (payload: { value: unknown }) => {
    const v = payload.value as Record<string, unknown> | null;
    return typeof v?.password === 'string' && typeof v.confirm_password === 'string';
  },
};

export const newUserFormSchema = z.object({
  username: formText,
  password: formText,
  confirm_password: formText,
  role: z.enum(ROLES, { error: 'Choose a role' }),
}).refine(confirmed, passwordsMatch);

export const renameFormSchema = z.object({ username: formText });
export const roleFormSchema = z.object({ role: z.enum(ASSIGNABLE_ROLES, { error: 'Choose worker or manager' }) });
// Anything but two equal texts is answered as a mismatch, beside the second field.
export const resetPasswordFormSchema = z.object({ password: z.unknown().optional(), confirm_password: z.unknown().optional() }).transform((v, ctx) => {
  if (typeof v.password === 'string' && v.password === v.confirm_password) return { password: v.password };
  ctx.addIssue({ code: 'custom', path: ['confirm_password'], message: MISMATCH });
  return z.NEVER;
});
// Anything but a user id chooses no manager, which the service refuses with its own message.
export const transferFormSchema = z.object({
  manager_id: z.unknown().optional().transform((v) => (Number.isSafeInteger(Number(v)) ? Number(v) : 0)),
});

const usernameField = z.object({ username: usernameSchema });

/** A valid username, or a 400 naming the field. */
export const parseUsername = (raw: unknown): string => parseInput(usernameField, { username: raw }).username;
