import { Router, type Request } from 'express';
import { csvCell, streamCsv } from '../../http/csv.js';
import { addFlash } from '../../http/flash.js';
import { exportFilters, readFilterForm } from '../../http/filter-form.js';
import { pageLinks, requestedPage } from '../../http/pagination.js';
import { pathId, undecodableParam } from '../../http/id-param.js';
import { actorFromSession, allow } from '../../http/panel-auth.js';
import type { ActivityRow } from './activity.chain.js';
import { activityQuerySchema } from './activity.schemas.js';
import type { ActivityService } from './activity.service.js';

const PAGE_SIZE = 50;
const panelQuery = activityQuerySchema.omit({ limit: true, offset: true });

function filtersOf(req: Request) {
  const { form, values: f, error } = readFilterForm(req.query, panelQuery, ['user_id', 'action', 'outcome', 'from', 'to']);
  return { form, error, filters: { userId: f.user_id, action: f.action, outcome: f.outcome, from: f.from, to: f.to } };
}

export function createActivityRoutes(activity: ActivityService): Router {
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
    await streamCsv(res, 'activity.csv',
      ['id', 'at', 'user_id', 'username', 'action', 'target_type', 'target_id', 'ip', 'user_agent', 'outcome', 'detail'],
      activity.exportRows(exportFilters(filtersOf(req))),
      (e: ActivityRow) => [e.id, e.at, e.user_id, e.username, e.action, e.target_type, e.target_id, e.ip, e.user_agent, e.outcome, e.detail]
        .map((v) => csvCell(v)).join(',') + '\r\n');
  });

  router.post('/activity/flags/:id/acknowledge', allow('activity.acknowledge'), (req, res) => {
    activity.acknowledge(actorFromSession(req), pathId(req));
    addFlash(req, 'success', 'The flag was acknowledged.');
    res.redirect(303, '/activity');
  });

  router.use(undecodableParam());
  return router;
}
