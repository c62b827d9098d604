import express, { Router, type Response } from 'express';
import { actorFromToken, allowBearer, parseInput } from '../../http/bearer.js';
import type { TokenAuthService } from '../auth/token-auth.service.js';
import type { MessageRow } from './messages.repo.js';
import { bulkSchema, messagesQuerySchema } from './messages.schemas.js';
import { QuotaExceeded, type MessagesService } from './messages.service.js';

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

/** /api/messages: the main app logs every send here, which is where quotas are enforced. */
export function createMessagesApi(messages: MessagesService, tokens: TokenAuthService): Router {
  const router = Router();
  const json = express.json({ limit: '2mb' });

  router.post('/log', allowBearer(tokens, 'messages.log'), json, (req, res) => {
    const draft = messages.parse(req.body);
    logOrRefuse(res, () => {
      const [id] = messages.log(actorFromToken(req, res), [draft]);
      res.status(201).json({ message: 'Message logged', log_id: id });
    });
  });

  router.post('/bulk-log', allowBearer(tokens, 'messages.log'), json, (req, res) => {
    const drafts = parseInput(bulkSchema, req.body).messages.map((m, i) => messages.parse(m, `messages[${i}].`));
    logOrRefuse(res, () => {
      const ids = messages.log(actorFromToken(req, res), drafts);
      res.status(201).json({ message: `Logged ${ids.length} messages`, logged: ids.length });
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
