import { Router } from 'express';
import { actorFromToken, permit } from '../../http/bearer.js';
import { parseInput, pathId, undecodableParam } from '../../http/validate.js';
import { eventJson, flagJson } from './activity.json.js';
import { activityQuerySchema, flagsQuerySchema } from './activity.schemas.js';
import type { ActivityService } from './activity.service.js';

/** /api/activity: the log and its flags, for admins. */
export function createActivityApi(deps: { activity: ActivityService }): Router {
  const { activity } = deps;
  const router = Router();

  router.get('/', permit('activity.view'), (req, res) => {
    const q = parseInput(activityQuerySchema, req.query);
    const page = activity.list(activity.resolveFilters(q).filters, q.limit, q.offset);
    res.json({ events: page.events.map(eventJson), total: page.total, limit: q.limit, offset: q.offset });
  });

  router.get('/flags', permit('activity.view'), (req, res) => {
    const q = parseInput(flagsQuerySchema, req.query);
    res.json({ flags: activity.flags({ acknowledged: q.acknowledged }).map(flagJson) });
  });

  router.post('/flags/:id/acknowledge', permit('activity.acknowledge'), (req, res) => {
    res.json({ message: 'Flag acknowledged', flag: flagJson(activity.acknowledge(actorFromToken(req, res), pathId(req))) });
  });

  router.use(undecodableParam());
  return router;
}
