import type { Request } from 'express';
import type { z } from 'zod';
import { BadRequest } from './errors.js';

/**
 * A list page's filter form: the fields as typed (to show them again), the values the schema
 * accepts (empty fields left out), and the first problem if it refused them.
 */
export function readFilterForm<S extends z.ZodType>(query: Request['query'], schema: S, fields: readonly string[]) {
  const form = Object.fromEntries(fields.map((f) => [f, typeof query[f] === 'string' ? query[f] : ''])) as Record<string, string>;
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(form).filter(([, v]) => v !== '')));
  return {
    form,
    values: (parsed.success ? parsed.data : {}) as Partial<z.infer<S>>,
    error: parsed.success ? null : parsed.error.issues[0]!.message,
  };
}

/** The filters of an export: one that cannot be applied answers 400 rather than exporting everything. */
export function exportFilters<T>(read: { error: string | null; filters: T }): T {
  if (read.error) throw new BadRequest(read.error);
  return read.filters;
}
