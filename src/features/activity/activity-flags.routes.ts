import { Router, type Request } from 'express';
import { FLAG_RULES, SEVERITIES } from '../../domain/activity.js';
import { addFlash } from '../../http/flash.js';
import { formPage, renderPage, type FormErrors, type Page } from '../../http/forms.js';
import { pageLinks, requestedPage } from '../../http/pagination.js';
import { actorFromSession, allow } from '../../http/panel-auth.js';
import { typedField } from '../../http/schemas.js';
import { parseForm, pathId, readFilterForm } from '../../http/validate.js';
import type { Acknowledged } from './activity.triage.js';
import { acknowledgeFormSchema, acknowledgeOneFormSchema, FLAG_FILTER_FIELDS, flagFilterSchema, FORM_ACK_MAX, NOTE_MAX } from './activity-flags.schemas.js';
import type { ActivityService } from './activity.service.js';

const PATH = '/activity/flags';

/** The filters as the list's links keep them: what was typed, or the query string of what was accepted. */
function filtersOf(req: Request) {
  const { form, values, error } = readFilterForm(req.query, flagFilterSchema, FLAG_FILTER_FIELDS);
  const filters = { rule: values.rule, severity: values.severity, state: values.state ?? 'open', userId: values.user_id };
  const query = error ? '' : new URLSearchParams(Object.entries(form).filter(([, v]) => v !== '')).toString();
  return { form, error, filters, query };
}

const said = (done: Acknowledged) => {
  const n = done.acknowledged.length;
  const count = `${n} ${n === 1 ? 'flag was' : 'flags were'} acknowledged`;
  return done.already.length === 0 ? `${count}.` : `${count}; ${done.already.length} had been acknowledged already and were left as they were.`;
};

/** /activity/flags: the anomaly flags with what raised each, filtered, and acknowledged one or many at a time with a note. */
export function createFlagRoutes(deps: { activity: ActivityService }): Router {
  const { activity } = deps;
  const router = Router();

  const flagsPage = (req: Request, errors: FormErrors = {}): Page => {
    const { form, error, filters, query } = filtersOf(req);
    const { page, limit, offset } = requestedPage(req, FORM_ACK_MAX);
    const { flags, total } = activity.flagsPage(filters, limit, offset);
    const checked = ([] as unknown[]).concat((req.body as Record<string, unknown> | undefined)?.flag_ids ?? []).map(String);
    return { view: 'activity/flags', locals: {
      title: 'Flags', flags, total, form, error, filters, errors, rules: FLAG_RULES, severities: SEVERITIES, noteMax: NOTE_MAX,
      values: { note: typedField(req.body, 'note'), checked }, action: `${PATH}/acknowledge${query ? `?${query}` : ''}`,
      ...pageLinks(PATH, page, FORM_ACK_MAX, total, form),
    } };
  };
  const back = (req: Request) => {
    const { query } = filtersOf(req);
    return PATH + (query ? `?${query}` : '');
  };

  router.get(PATH, allow('activity.viewFlags'), (req, res) => renderPage(res, flagsPage(req)));

  router.post(`${PATH}/acknowledge`, allow('activity.acknowledge'), formPage(flagsPage), (req, res) => {
    const input = parseForm(acknowledgeFormSchema, req.body);
    addFlash(req, 'success', said(activity.acknowledgeFlags(actorFromSession(req), input.flag_ids, input.note)));
    res.redirect(303, back(req));
  });

  router.post(`${PATH}/:id/acknowledge`, allow('activity.acknowledge'), formPage(flagsPage), (req, res) => {
    const id = pathId(req);
    const { note } = parseForm(acknowledgeOneFormSchema, req.body);
    activity.acknowledge(actorFromSession(req), id, note);
    addFlash(req, 'success', 'The flag was acknowledged.');
    res.redirect(303, back(req));
  });

  return router;
}
