import { z } from 'zod';

export const changePasswordFormSchema = z.object({
  current_password: z.string().min(1, 'Enter your current password').max(1024),
  new_password: z.string().min(1, 'Enter a new password').max(1024, 'Password must be at most 128 characters'),
  confirm_password: z.string(),
}).refine((v) => v.new_password === v.confirm_password, {
  path: ['confirm_password'],
  message: 'The two new passwords do not match',
});

export const changePasswordBodySchema = z.object({
  current_password: z.string({ error: 'current_password is required' }).min(1, 'current_password is required').max(1024),
  new_password: z.string({ error: 'new_password is required' }).min(1, 'new_password is required').max(1024),
});
