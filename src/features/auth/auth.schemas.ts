import { z } from 'zod';

// Over-long values are not rejected here: they go through the same "invalid credentials"
// path as any wrong guess, so length never hints at anything. They are cut before hashing.
export const loginFormSchema = z.object({
  username: z.string().trim().min(1, 'Enter your username').transform((v) => v.slice(0, 128)),
  password: z.string().min(1, 'Enter your password').transform((v) => v.slice(0, 1024)),
});
