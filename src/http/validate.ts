import type { ErrorRequestHandler, Request } from 'express';
import { z } from 'zod';
import { BadRequest, type HttpError } from '../errors.js';
import { pathIdSchema } from './schemas.js';

/** Where in the input an issue is, as a client names it: `messages[1].recipient_phone`. */
function fieldOf(issue: z.core.$ZodIssue, whole: string): string[] {
  if (issue.code === 'unrecognized_keys') return issue.keys;
  const path = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
  return [path || whole];
}

/** The first message for each field: every field (`all`, for a form), or the first problem's only. */
export function messagesByField(error: z.ZodError, whole = 'body', all = true): Record<string, string> {
  // No prototype: a field may be called `constructor` or `__proto__`.
  const out = Object.create(null) as Record<string, string>;
  for (const issue of all ? error.issues : error.issues.slice(0, 1)) {
    for (const field of fieldOf(issue, whole).slice(0, all ? undefined : 1)) if (!Object.hasOwn(out, field)) out[field] = issue.message;
  }
  return out;
}

/**
 * The one way input is read, on both surfaces: params, query or body through its schema. A
 * refusal is a 400 whose message is the first problem. The API's answer names that problem's
 * field (the contract since the first release); a panel form (see forms.ts, `parseForm`) gets
 * every field's first problem, to show each beside its field. `whole` names a problem with the
 * input as a whole ('body' in JSON, 'form' on a page).
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, options: ParseOptions = {}): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0]!.message;
  const fields = messagesByField(parsed.error, options.whole, options.everyField ?? false);
  throw options.refuse ? options.refuse(first, fields) : new BadRequest(first, fields);
}

export interface ParseOptions {
  /** Names a problem with the input as a whole: 'body' (JSON) unless given. */
  whole?: string;
  /** Names every field with a problem, not only the first (forms). */
  everyField?: boolean;
  /** The refusal, where a contract fixed its shape (the original sign-in's one message). */
  refuse?: (message: string, fields: Record<string, string>) => HttpError;
}

/** A panel form's fields through its schema; a problem with no field of its own is the form's. */
export const parseForm = <S extends z.ZodType>(schema: S, body: unknown): z.output<S> => parseInput(schema, body, { whole: 'form', everyField: true });

const idParams = new Map<string, z.ZodType<Record<string, number>>>();

/** `req.params[name]` as an id; called by handlers after the guard, so 401 and 403 come first. */
export function pathId(req: Request, name = 'id'): number {
  let schema = idParams.get(name);
  if (!schema) idParams.set(name, (schema = z.object({ [name]: pathIdSchema(name) })));
  return parseInput(schema, req.params)[name]!;
}

/**
 * The router fails to decode a param like `%` or `%E0` before any handler runs and passes on a
 * bare URIError (which would answer 500): mount after a router's routes to answer 400 instead.
 */
export const undecodableParam = (name = 'id'): ErrorRequestHandler => (err, _req, _res, next) => {
  const status = (err as { status?: unknown } | null)?.status;
  const message = `${name} must be a positive whole number`;
  next(err instanceof URIError && status === 400 ? new BadRequest(message, { [name]: message }) : err);
};

/**
 * A list page's filter form: the fields as typed (to show them again), the values the schema
 * accepts (empty fields left out), and the first problem if it refused them, in which case the
 * list shows everything it may and says the filters were ignored.
 */
export function readFilterForm<S extends z.ZodType>(query: Request['query'], schema: S, fields: readonly string[]) {
  const form = Object.fromEntries(fields.map((f) => [f, typeof query[f] === 'string' ? query[f] : ''])) as Record<string, string>;
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(form).filter(([, v]) => v !== '')));
  return {
    form,
    values: (parsed.success ? parsed.data : {}) as Partial<z.output<S>>,
    error: parsed.success ? null : parsed.error.issues[0]!.message,
  };
}

/** The filters of an export: one that cannot be applied answers 400 rather than exporting everything. */
export function exportFilters<T>(read: { error: string | null; filters: T }): T {
  if (read.error) throw new BadRequest(read.error);
  return read.filters;
}
