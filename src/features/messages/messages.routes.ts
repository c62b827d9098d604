import { Router, type Request } from 'express';
import { streamCsv } from '../../http/csv.js';
import { pageLinks, requestedPage } from '../../http/pagination.js';
import { actorFromSession, allow } from '../../http/panel-auth.js';
import { exportFilters, readFilterForm } from '../../http/validate.js';
import type { UsersService } from '../users/users.service.js';
import { messagesCsv } from './messages.json.js';
import { MESSAGE_STATUSES } from './messages.repo.js';
import { messageFilterSchema } from './messages.schemas.js';
import type { MessagesService } from './messages.service.js';

const PAGE_SIZE = 50;

/** The filters as the form shows them, and as the service takes them. */
function filtersOf(req: Request) {
  const { form, values: f, error } = readFilterForm(req.query, messageFilterSchema, ['sender_id', 'status', 'search', 'from', 'to']);
  return { form, error, filters: { senderId: f.sender_id, status: f.status, search: f.search, from: f.from, to: f.to } };
}

export function createMessagesRoutes(deps: { messages: MessagesService; users: UsersService }): Router {
  const { messages, users } = deps;
  const router = Router();

  router.get('/messages', allow('messages.view'), (req, res) => {
    const actor = actorFromSession(req);
    const { form, filters, error } = filtersOf(req);
    const { page, limit, offset } = requestedPage(req, PAGE_SIZE);
    const { messages: rows, total } = messages.list(actor, filters, limit, offset);
    const senders = [req.currentUser!, ...users.list(actor, { limit: 500, offset: 0 }).users]
      .filter((u, i, all) => all.findIndex((x) => x.id === u.id) === i);
    res.render('messages/index', {
      title: 'Messages', messages: rows, total, form, error, senders, statuses: MESSAGE_STATUSES,
      ...pageLinks('/messages', page, PAGE_SIZE, total, form),
    });
  });

  router.get('/messages.csv', allow('messages.export'), async (req, res) => {
    await streamCsv(res, messagesCsv, messages.exportRows(actorFromSession(req), exportFilters(filtersOf(req))));
  });

  return router;
}
