import express, { Router, type Response } from 'express';
import { actorFromToken, allowBearer, parseInput } from '../../http/bearer.js';
import { idempotencyOf } from '../../http/idempotency-key.js';
import type { TokenAuthService } from '../auth/token-auth.service.js';
import type { MessageRow } from './messages.repo.js';
import { bulkSchema, messagesQuerySchema } from './messages.schemas.js';
import { QuotaExceeded, type Answer, type MessagesService } from './messages.service.js';

const serialize = (m: MessageRow) => ({
  id: m.id, sender_id: m.sender_id, sender_username: m.sender_username, recipient_phone: m.recipient_phone,
  message_content: m.message_content, attachment_path: m.attachment_path, template_used: m.template_used,
  sent_at: m.sent_at, status: m.status,
});

/** Quota refusals keep the original body: error, limit and retry_after, plus Retry-After. */
function logOrRefuse(res: Response, run: () => void): void {
  try {
    run();
  } catch (err) {
    if (!(err instanceof QuotaExceeded)) throw err;
    res.set('Retry-After', String(err.retryAfter));
    res.locals.limiter = err.extra.limiter;
    res.status(429).json({ error: err.message, limit: err.limit, retry_after: err.retryAfter });
  }
}

function send(res: Response, answer: Answer & { replayed?: boolean }): void {
  if (answer.replayed) res.set('Idempotent-Replayed', 'true');
  res.status(answer.status).json(answer.body);
}

/** /api/messages: the main app logs every send here, which is where quotas are enforced. */
export function createMessagesApi(messages: MessagesService, tokens: TokenAuthService): Router {
  const router = Router();
  const json = express.json({ limit: '2mb' });

  // With an Idempotency-Key, a retry within 24 hours gets the first answer and logs nothing (see README).
  router.post('/log', allowBearer(tokens, 'messages.log'), json, (req, res) => {
    const once = idempotencyOf(req, 'messages/log');
    const draft = messages.parse(req.body);
    const answer = (ids: number[]) => ({ status: 201, body: { message: 'Message logged', log_id: ids[0] } });
    logOrRefuse(res, () => {
      const actor = actorFromToken(req, res);
      send(res, once ? messages.logOnce(actor, [draft], once, answer) : answer(messages.log(actor, [draft])));
    });
  });

  router.post('/bulk-log', allowBearer(tokens, 'messages.log'), json, (req, res) => {
    const once = idempotencyOf(req, 'messages/bulk-log');
    const drafts = parseInput(bulkSchema, req.body).messages.map((m, i) => messages.parse(m, `messages[${i}].`));
    const answer = (ids: number[]) => ({ status: 201, body: { message: `Logged ${ids.length} messages`, logged: ids.length } });
    logOrRefuse(res, () => {
      const actor = actorFromToken(req, res);
      send(res, once ? messages.logOnce(actor, drafts, once, answer) : answer(messages.log(actor, drafts)));
    });
  });

  router.get('/stats', allowBearer(tokens, 'messages.list'), (req, res) => {
    res.json({ total_messages: messages.total(actorFromToken(req, res)) });
  });

  router.get('/', allowBearer(tokens, 'messages.list'), (req, res) => {
    const q = parseInput(messagesQuerySchema, req.query);
    const page = messages.list(actorFromToken(req, res),
      { senderId: q.sender_id, status: q.status, search: q.search, from: q.from, to: q.to }, q.limit, q.offset);
    res.json({ messages: page.messages.map(serialize), total: page.total, limit: q.limit, offset: q.offset });
  });

  return router;
}
