import { Router, type Request } from 'express';
import { ACTIVITY_ACTIONS } from '../../domain/activity.js';
import { dataScope } from '../../domain/permissions.js';
import { streamCsv } from '../../http/csv.js';
import { keysetLinks, requestedBefore } from '../../http/pagination.js';
import { allow } from '../../http/panel-auth.js';
import { exportFilters, readFilterForm, undecodableParam } from '../../http/validate.js';
import type { UsersService } from '../users/users.service.js';
import { createFlagRoutes } from './activity-flags.routes.js';
import { displayEvent } from './activity.display.js';
import { eventsCsv } from './activity.json.js';
import type { ActivityFilters } from './activity.repo.js';
import { ACTIVITY_FILTER_FIELDS, activityFilterSchema } from './activity.schemas.js';
import type { ActivityService } from './activity.service.js';

const PAGE_SIZE = 50;

export function createActivityRoutes(deps: { activity: ActivityService; users: Pick<UsersService, 'workerIdsCreatedBy'> }): Router {
  const { activity, users } = deps;
  const router = Router();

  function filtersOf(req: Request, scope: Pick<ActivityFilters, 'involving'> = {}) {
    const { form, values, error } = readFilterForm(req.query, activityFilterSchema, ACTIVITY_FILTER_FIELDS);
    const { filters, notes } = activity.resolveFilters(values);
    return { form, error, notes, filters: { ...filters, ...scope } };
  }

  function logPage(req: Request, path: string, scope: Pick<ActivityFilters, 'involving'> = {}) {
    const { form, error, notes, filters } = filtersOf(req, scope);
    const before = requestedBefore(req);
    const page = activity.page(filters, PAGE_SIZE, before);
    const query = new URLSearchParams(Object.entries(form).filter(([, v]) => v !== ''));
    return {
      ...page, events: page.events.map(displayEvent), form, error, notes, path, actions: Object.entries(ACTIVITY_ACTIONS),
      csvQuery: query.toString(), ...keysetLinks(path, query, { before, nextBefore: page.nextBefore }),
    };
  }

  router.get('/activity', allow('activity.view'), (req, res) => {
    res.render('activity/index', { title: 'Activity', log: logPage(req, '/activity'), openFlags: activity.openFlagCounts() });
  });

  // A manager's read-only view: what the accounts they manage did, and what was done to them.
  router.get('/team/activity', allow('activity.viewTeam'), (req, res) => {
    const involving = dataScope(req.currentUser!, users.workerIdsCreatedBy) ?? undefined;
    res.render('activity/team', { title: 'Team activity', log: logPage(req, '/team/activity', { involving }) });
  });

  router.get('/activity.csv', allow('activity.export'), async (req, res) => {
    await streamCsv(res, eventsCsv, activity.exportRows(exportFilters(filtersOf(req))));
  });

  router.use(createFlagRoutes({ activity }));
  router.use(undecodableParam());
  return router;
}
