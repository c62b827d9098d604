import { z } from 'zod';

// Over-long values are not rejected here: they go through the same "invalid credentials"
// path as any wrong guess, so length never hints at anything. They are cut before hashing.
export const loginFormSchema = z.object({
  username: z.string().trim().min(1, 'Enter your username').transform((v) => v.slice(0, 128)),
  password: z.string().min(1, 'Enter your password').transform((v) => v.slice(0, 1024)),
});

// The original contract answers any missing or malformed field with one message.
const LOGIN_REQUIRED = 'Username and password required';
export const loginBodySchema = z.object({
  username: z.string({ error: LOGIN_REQUIRED }).trim().min(1, LOGIN_REQUIRED).max(1024, LOGIN_REQUIRED).transform((v) => v.slice(0, 128)),
  password: z.string({ error: LOGIN_REQUIRED }).min(1, LOGIN_REQUIRED).max(4096, LOGIN_REQUIRED).transform((v) => v.slice(0, 1024)),
}, { error: LOGIN_REQUIRED });
