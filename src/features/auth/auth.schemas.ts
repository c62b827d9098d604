import { z } from 'zod';

// Over-long values are not rejected here: they go through the same "invalid credentials"
// path as any wrong guess, so length never hints at anything. They are cut before hashing.
export const loginFormSchema = z.object({
  username: z.string().trim().min(1, 'Enter your username').transform((v) => v.slice(0, 128)),
  password: z.string().min(1, 'Enter your password').transform((v) => v.slice(0, 1024)),
});

export const changePasswordFormSchema = z.object({
  current_password: z.string().min(1, 'Enter your current password').max(1024),
  new_password: z.string().min(1, 'Enter a new password').max(1024, 'Password must be at most 128 characters'),
  confirm_password: z.string(),
}).refine((v) => v.new_password === v.confirm_password, {
  path: ['confirm_password'],
  message: 'The two new passwords do not match',
});

/** First message per field, for re-rendering a form. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form');
    out[field] ??= issue.message;
  }
  return out;
}
