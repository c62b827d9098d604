import express, { Router } from 'express';
import { actorFromToken, permit } from '../../http/bearer.js';
import { parseInput, pathId, undecodableParam } from '../../http/validate.js';
import { acknowledgeManySchema, acknowledgeOneSchema, flagsQuerySchema } from './activity-flags.schemas.js';
import { eventJson, flagJson } from './activity.json.js';
import { activityQuerySchema } from './activity.schemas.js';
import type { ActivityService } from './activity.service.js';

/** /api/activity: the log and its flags, for admins. */
export function createActivityApi(deps: { activity: ActivityService }): Router {
  const { activity } = deps;
  const router = Router();
  const json = express.json({ limit: '16kb' });

  router.get('/', permit('activity.view'), (req, res) => {
    const q = parseInput(activityQuerySchema, req.query);
    const page = activity.list(activity.resolveFilters(q).filters, q.limit, q.offset);
    res.json({ events: page.events.map(eventJson), total: page.total, limit: q.limit, offset: q.offset });
  });

  router.get('/flags', permit('activity.viewFlags'), (req, res) => {
    const q = parseInput(flagsQuerySchema, req.query);
    // `acknowledged` is the original filter; `state` says the same and wins when both are given.
    const state = q.state ?? (q.acknowledged === undefined ? 'all' : q.acknowledged ? 'acknowledged' : 'open');
    const { flags, total } = activity.listFlags({ rule: q.rule, severity: q.severity, state, userId: q.user_id }, q.limit, q.offset);
    res.json({ flags: flags.map(flagJson), total, limit: q.limit, offset: q.offset });
  });

  router.post('/flags/acknowledge', permit('activity.acknowledge'), json, (req, res) => {
    const input = parseInput(acknowledgeManySchema, req.body);
    const done = activity.acknowledgeFlags(actorFromToken(req, res), input.ids, input.note ?? null);
    res.json({ message: `${done.acknowledged.length} acknowledged`, acknowledged: done.acknowledged, already_acknowledged: done.already });
  });

  router.post('/flags/:id/acknowledge', permit('activity.acknowledge'), json, (req, res) => {
    const id = pathId(req);
    const flag = activity.acknowledge(actorFromToken(req, res), id, parseInput(acknowledgeOneSchema, req.body).note ?? null);
    res.json({ message: 'Flag acknowledged', flag: flagJson(flag) });
  });

  router.use(undecodableParam());
  return router;
}
