import type { Request, RequestHandler, Response } from 'express';
import type { ErrorReply } from '../errors.js';

export type FormErrors = Record<string, string>;

/** A page as a view and its locals, so that whoever draws it can say what happens if drawing fails. */
export interface Page {
  view: string;
  locals: Record<string, unknown>;
}

/** Builds a form's page, with the messages to show beside its fields. */
export type FormPage = (req: Request, errors: FormErrors) => Page;

interface FormRoute {
  page: (errors: FormErrors) => Page;
  messageField: string;
}

// Refusals a person can fix on the form itself: invalid input, a taken name, a spent attempt budget.
const FORM_STATUSES = new Set([400, 409, 429]);

/** Draws a page built for a route (a GET shows its form with no messages). */
export const renderPage = (res: Response, page: Page): void => res.render(page.view, page.locals);

/**
 * Marks a panel route as a form: when its handler is refused with a 400, 409 or 429, the
 * panel's error handler shows the form again (with the status), every message beside its field.
 * A message that names no field, or only the path's `id` (about the account itself, not the
 * input), is shown at `messageField`.
 */
export function formPage(page: FormPage, messageField = 'form'): RequestHandler {
  return (req, res, next) => {
    // The error handler runs outside the route, where the router has put the route's params away.
    const params = req.params;
    const build = (errors: FormErrors) => {
      req.params = params;
      return page(req, errors);
    };
    res.locals.formRoute = { page: build, messageField } satisfies FormRoute;
    next();
  };
}

/** The form to show again for a refusal, with its messages; null when the error page should answer. May throw. */
export function formToShowAgain(res: Response, reply: ErrorReply): Page | null {
  const form = res.locals.formRoute as FormRoute | undefined;
  if (!form || reply.unexpected || !FORM_STATUSES.has(reply.status)) return null;
  const fields = reply.fields && !('id' in reply.fields) ? reply.fields : { [form.messageField]: reply.message };
  return form.page(fields);
}
