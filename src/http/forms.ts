import type { Request, RequestHandler, Response } from 'express';
import type { ErrorReply } from './errors.js';

export type FormErrors = Record<string, string>;
export type FormRenderer = (req: Request, res: Response, errors: FormErrors) => void;

interface FormPage {
  render: (errors: FormErrors) => void;
  messageField: string;
}

// Refusals a person can fix on the form itself: invalid input, a taken name, a spent attempt budget.
const FORM_STATUSES = new Set([400, 409, 429]);

/**
 * Marks a panel route as a form: when its handler is refused with a 400, 409 or 429, the
 * panel's error handler shows the form again (with the status), every message beside its field.
 * A message that names no field, or only the path's `id` (about the account itself, not the
 * input), is shown at `messageField`.
 */
export function formPage(render: FormRenderer, messageField = 'form'): RequestHandler {
  return (req, res, next) => {
    // The error handler runs outside the route, where the router has put the route's params away.
    const params = req.params;
    const show = (errors: FormErrors) => {
      req.params = params;
      render(req, res, errors);
    };
    res.locals.formPage = { render: show, messageField } satisfies FormPage;
    next();
  };
}

/** Shows the form again for a refusal it can show; false when the error page should answer instead. */
export function rerenderForm(res: Response, reply: ErrorReply): boolean {
  const form = res.locals.formPage as FormPage | undefined;
  if (!form || reply.unexpected || !FORM_STATUSES.has(reply.status)) return false;
  const fields = reply.fields && !('id' in reply.fields) ? reply.fields : { [form.messageField]: reply.message };
  res.status(reply.status);
  form.render(fields);
  return true;
}
