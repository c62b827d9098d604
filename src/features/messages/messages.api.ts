import express, { Router, type Response } from 'express';
import { actorFromToken, permit } from '../../http/bearer.js';
import { idempotencyOf } from '../../http/idempotency-key.js';
import { parseInput } from '../../http/validate.js';
import { messageJson } from './messages.json.js';
import { messageSchemas, messagesQuerySchema } from './messages.schemas.js';
import type { Answer, MessagesService } from './messages.service.js';

function send(res: Response, answer: Answer & { replayed?: boolean }): void {
  if (answer.replayed) res.set('Idempotent-Replayed', 'true');
  res.status(answer.status).json(answer.body);
}

/** /api/messages: the main app logs every send here, which is where quotas are enforced. */
export function createMessagesApi(deps: { messages: MessagesService; defaultCountry: string | undefined }): Router {
  const { messages } = deps;
  const schemas = messageSchemas(deps.defaultCountry);
  const router = Router();
  const json = express.json({ limit: '2mb' });

  // With an Idempotency-Key, a retry within 24 hours gets the first answer and logs nothing (see README).
  router.post('/log', permit('messages.log'), json, (req, res) => {
    const once = idempotencyOf(req, 'messages/log');
    const draft = parseInput(schemas.message, req.body);
    const actor = actorFromToken(req, res);
    const answer = (ids: number[]) => ({ status: 201, body: { message: 'Message logged', log_id: ids[0] } });
    send(res, once ? messages.logOnce(actor, [draft], once, answer) : answer(messages.log(actor, [draft])));
  });

  router.post('/bulk-log', permit('messages.log'), json, (req, res) => {
    const once = idempotencyOf(req, 'messages/bulk-log');
    const drafts = parseInput(schemas.bulk, req.body).messages;
    const actor = actorFromToken(req, res);
    const answer = (ids: number[]) => ({ status: 201, body: { message: `Logged ${ids.length} messages`, logged: ids.length } });
    send(res, once ? messages.logOnce(actor, drafts, once, answer) : answer(messages.log(actor, drafts)));
  });

  router.get('/stats', permit('messages.list'), (req, res) => {
    res.json({ total_messages: messages.total(actorFromToken(req, res)) });
  });

  router.get('/', permit('messages.list'), (req, res) => {
    const q = parseInput(messagesQuerySchema, req.query);
    const page = messages.list(actorFromToken(req, res),
      { senderId: q.sender_id, status: q.status, search: q.search, from: q.from, to: q.to }, q.limit, q.offset);
    res.json({ messages: page.messages.map(messageJson), total: page.total, limit: q.limit, offset: q.offset });
  });

  return router;
}
