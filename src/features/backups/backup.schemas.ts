import { z } from 'zod';
import { DB_FILE, SECRETS_FILE } from './backup.create.js';

const fileEntry = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().min(0) });

/** A backup's manifest.json, as backup:verify and restore read it. */
export const manifestSchema = z.object({
  format: z.literal(1),
  createdAt: z.iso.datetime(),
  schemaVersion: z.number().int().min(0),
  appVersion: z.string(),
  files: z.partialRecord(z.enum([DB_FILE, SECRETS_FILE]), fileEntry),
  secrets: z.object({ jwtSecret: z.string(), sessionSecret: z.string(), storedInBackup: z.boolean() }),
});
