import { Router } from 'express';
import { actorFromToken, allowBearer, parseInput } from '../../http/bearer.js';
import { pathId, undecodableParam } from '../../http/id-param.js';
import type { TokenAuthService } from '../auth/token-auth.service.js';
import type { ActivityRow } from './activity.chain.js';
import type { FlagRow } from './activity.repo.js';
import { activityQuerySchema, flagsQuerySchema } from './activity.schemas.js';
import type { ActivityService } from './activity.service.js';

export const serializeEvent = (e: ActivityRow) => ({
  id: e.id, at: e.at, user_id: e.user_id, username: e.username, action: e.action, target_type: e.target_type, target_id: e.target_id,
  ip: e.ip, user_agent: e.user_agent, outcome: e.outcome, detail: e.detail ? (JSON.parse(e.detail) as unknown) : null,
});
const serializeFlag = (f: FlagRow) => ({
  id: f.id, at: f.at, user_id: f.user_id, rule: f.rule, severity: f.severity, summary: f.summary, activity_id: f.activity_id,
  acknowledged_at: f.acknowledged_at,
});

/** /api/activity: the log and its flags, for admins. */
export function createActivityApi(activity: ActivityService, tokens: TokenAuthService): Router {
  const router = Router();

  router.get('/', allowBearer(tokens, 'activity.view'), (req, res) => {
    const q = parseInput(activityQuerySchema, req.query);
    const page = activity.list({ userId: q.user_id, action: q.action, outcome: q.outcome, from: q.from, to: q.to }, q.limit, q.offset);
    res.json({ events: page.events.map(serializeEvent), total: page.total, limit: q.limit, offset: q.offset });
  });

  router.get('/flags', allowBearer(tokens, 'activity.view'), (req, res) => {
    const q = parseInput(flagsQuerySchema, req.query);
    res.json({ flags: activity.flags({ acknowledged: q.acknowledged }).map(serializeFlag) });
  });

  router.post('/flags/:id/acknowledge', allowBearer(tokens, 'activity.acknowledge'), (req, res) => {
    res.json({ message: 'Flag acknowledged', flag: serializeFlag(activity.acknowledge(actorFromToken(req, res), pathId(req))) });
  });

  router.use(undecodableParam());
  return router;
}
