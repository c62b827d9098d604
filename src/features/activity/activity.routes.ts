import { Router, type Request } from 'express';
import { streamCsv } from '../../http/csv.js';
import { addFlash } from '../../http/flash.js';
import { pageLinks, requestedPage } from '../../http/pagination.js';
import { actorFromSession, allow } from '../../http/panel-auth.js';
import { exportFilters, pathId, readFilterForm, undecodableParam } from '../../http/validate.js';
import { eventsCsv } from './activity.json.js';
import { activityFilterSchema } from './activity.schemas.js';
import type { ActivityService } from './activity.service.js';

const PAGE_SIZE = 50;

function filtersOf(req: Request) {
  const { form, values: f, error } = readFilterForm(req.query, activityFilterSchema, ['user_id', 'action', 'outcome', 'from', 'to']);
  return { form, error, filters: { userId: f.user_id, action: f.action, outcome: f.outcome, from: f.from, to: f.to } };
}

export function createActivityRoutes(deps: { activity: ActivityService }): Router {
  const { activity } = deps;
  const router = Router();

  router.get('/activity', allow('activity.view'), (req, res) => {
    const { form, error, filters } = filtersOf(req);
    const { page, limit, offset } = requestedPage(req, PAGE_SIZE);
    const { events, total } = activity.list(filters, limit, offset);
    res.render('activity/index', {
      title: 'Activity', events, total, form, error, flags: activity.flags({ acknowledged: false, limit: 50 }),
      ...pageLinks('/activity', page, PAGE_SIZE, total, form),
    });
  });

  router.get('/activity.csv', allow('activity.export'), async (req, res) => {
    await streamCsv(res, eventsCsv, activity.exportRows(exportFilters(filtersOf(req))));
  });

  router.post('/activity/flags/:id/acknowledge', allow('activity.acknowledge'), (req, res) => {
    activity.acknowledge(actorFromSession(req), pathId(req));
    addFlash(req, 'success', 'The flag was acknowledged.');
    res.redirect(303, '/activity');
  });

  router.use(undecodableParam());
  return router;
}
