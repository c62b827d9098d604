import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { describeError, isStorageFailure, MethodNotAllowed, type ErrorReply } from '../errors.js';
import { formToShowAgain } from './forms.js';
import { noteRouteTemplate } from './route-guard.js';
import { bodyString } from './schemas.js';
import { isSignInPath } from './login-csrf.js';
import type { Logger } from './logger.js';
import type { RecordRefusal } from './refusals.js';

function recordIfRefused(record: RecordRefusal | undefined, req: Request, res: Response, reply: ErrorReply): void {
  if (!record) return;
  if (reply.code === 'csrf') record(req, res, 'csrf.failed', reply.status);
  else if (reply.status === 403) record(req, res, 'access.denied', reply.status);
}

/** The refusal is still answered when its activity row cannot be written (a full disk). */
function recordUnlessStorageFails(logger: Logger, record: RecordRefusal | undefined, req: Request, res: Response, reply: ErrorReply): void {
  try {
    recordIfRefused(record, req, res, reply);
  } catch (err) {
    if (!isStorageFailure(err)) throw err;
    reportStorageFailure(logger, err);
  }
}

/**
 * Shed load (503 busy) is logged as one warn line a second at most, with how many requests
 * were shed since the last line; both surfaces share the count through their logger.
 */
const shedding = new WeakMap<Logger, { lastAt: number; shed: number }>();

export function reportShed(logger: Logger): void {
  const state = shedding.get(logger) ?? { lastAt: -Infinity, shed: 0 };
  shedding.set(logger, state);
  state.shed += 1;
  if (Date.now() - state.lastAt < 1000) return;
  logger.warn('requests shed: the password checker is saturated', { shed: state.shed });
  state.lastAt = Date.now();
  state.shed = 0;
}

/** Storage failures are logged like shed load: one line a second at most, with the SQLite code. */
const storageFailures = new WeakMap<Logger, { lastAt: number; count: number }>();

function reportStorageFailure(logger: Logger, err: unknown): void {
  const state = storageFailures.get(logger) ?? { lastAt: -Infinity, count: 0 };
  storageFailures.set(logger, state);
  state.count += 1;
  if (Date.now() - state.lastAt < 1000) return;
  const code = String((err as { code?: unknown }).code);
  logger.error('storage unavailable: requests answered 503', { code, requests: state.count });
  state.lastAt = Date.now();
  state.count = 0;
}

function report(logger: Logger, req: Request, err: unknown, reply: ErrorReply): void {
  if (reply.code === 'busy') reportShed(logger);
  if (reply.code === 'storage_unavailable' && isStorageFailure(err)) reportStorageFailure(logger, err);
  if (!reply.unexpected) return;
  const e = err instanceof Error ? err : new Error(String(err));
  logger.error('unhandled error', { id: req.id, method: req.method, path: req.path, error: e.message, stack: e.stack });
}

type Answer = (reply: ErrorReply, req: Request, res: Response) => void;

export interface ErrorHandlerDeps {
  logger: Logger;
  /** Writes 403s and CSRF failures to the activity log; absent where refusals are not people's (the probes). */
  recordRefusal?: RecordRefusal;
}

/** What both surfaces do with an error: classify, log, record a refusal, then answer. */
function errorHandler(logger: Logger, record: RecordRefusal | undefined, answer: Answer): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const reply = describeError(err);
    report(logger, req, err, reply);
    recordUnlessStorageFails(logger, record, req, res, reply);
    // Part of the answer is already out (a streamed CSV): it cannot turn into an error page, and
    // ending it normally would pass a truncated file off as complete. Cut the connection instead.
    if (res.headersSent) {
      res.destroy();
      return;
    }
    applyReplyHeaders(res, reply);
    answer(reply, req, res);
  };
}

/** Retry-After, the error's own headers, and the limiter for /metrics' 429 count. */
export function applyReplyHeaders(res: Response, reply: ErrorReply): void {
  if (reply.retryAfterSeconds) res.set('Retry-After', String(reply.retryAfterSeconds));
  if (reply.headers) res.set(reply.headers);
  if (reply.limiter) res.locals.limiter = reply.limiter;
}

/** The JSON body of an error: `{"error": "..."}` plus its code, fields and contract fields; never a stack. */
export function errorBody(reply: ErrorReply): Record<string, unknown> {
  return { error: reply.message, ...(reply.code ? { code: reply.code } : {}), ...(reply.fields ? { fields: reply.fields } : {}), ...reply.body };
}

/** JSON surface: every error answered from its own fields. */
export function jsonErrorHandler(deps: ErrorHandlerDeps): ErrorRequestHandler {
  return errorHandler(deps.logger, deps.recordRefusal, (reply, _req, res) => {
    res.status(reply.status).json(errorBody(reply));
  });
}

const TITLES: Record<number, string> = {
  400: 'Bad request', 401: 'Sign-in required', 403: 'Forbidden', 404: 'Page not found', 405: 'Method not allowed',
  413: 'Request too large', 415: 'Unsupported request', 429: 'Too many requests', 500: 'Something went wrong', 503: 'Temporarily unavailable',
};

/** HTML surface: a refused form shown again, or an error page in the layout; unexpected errors show only the request id. */
export function htmlErrorHandler(deps: ErrorHandlerDeps): ErrorRequestHandler {
  const { logger } = deps;
  const errorPage = (reply: ErrorReply, req: Request, res: Response) => {
    // A refused sign-in (expired form, another site, too many requests) shows the form again.
    const view = isSignInPath(req.path) && !reply.unexpected ? 'auth/login' : 'errors/error';
    const locals = {
      title: TITLES[reply.status] ?? 'Error', status: reply.status, message: reply.message, requestId: req.id,
      // A refused sign-in shows the form again with the username typed (never the password).
      username: (bodyString(req.body, 'username') ?? '').trim().slice(0, 128), errors: {}, notice: null,
    };
    res.status(reply.status).render(view, locals, (renderError, html) => {
      if (renderError) {
        report(logger, req, renderError, { ...reply, unexpected: true });
        return res.type('text').send(`${locals.title} (request ${req.id})`);
      }
      res.send(html);
    });
  };
  // The form could not be drawn again (its account is gone or out of reach, storage failed): that failure is the answer.
  const failed = (err: unknown, req: Request, res: Response) => {
    const reply = describeError(err);
    report(logger, req, err, reply);
    recordUnlessStorageFails(logger, deps.recordRefusal, req, res, reply);
    res.removeHeader('Retry-After');
    applyReplyHeaders(res, reply);
    errorPage(reply, req, res);
  };
  return errorHandler(logger, deps.recordRefusal, (reply, req, res) => {
    let form;
    try {
      form = formToShowAgain(res, reply);
    } catch (err) {
      return failed(err, req, res);
    }
    if (!form) return errorPage(reply, req, res);
    res.status(reply.status).render(form.view, form.locals, (renderError, html) => (renderError ? failed(renderError, req, res) : res.send(html)));
  });
}

/** The answer to any other method on a route of the contract: 405 with Allow. */
export const refuseMethod = (allowed: string): RequestHandler => (req) => {
  noteRouteTemplate(req);
  throw new MethodNotAllowed(allowed);
};
