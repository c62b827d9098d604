import { Router, type Request } from 'express';
import { csvCell, streamCsv } from '../../http/csv.js';
import { exportFilters, readFilterForm } from '../../http/filter-form.js';
import { pageLinks, requestedPage } from '../../http/pagination.js';
import { actorFromSession, allow } from '../../http/panel-auth.js';
import type { UserManagement } from '../users/users.manage.js';
import { MESSAGE_STATUSES, type MessageRow } from './messages.repo.js';
import { messagesQuerySchema } from './messages.schemas.js';
import type { MessagesService } from './messages.service.js';

const PAGE_SIZE = 50;
const panelQuery = messagesQuerySchema.omit({ limit: true, offset: true });

/** The filters as the form shows them, and as the service takes them. */
function filtersOf(req: Request) {
  const { form, values: f, error } = readFilterForm(req.query, panelQuery, ['sender_id', 'status', 'search', 'from', 'to']);
  return { form, error, filters: { senderId: f.sender_id, status: f.status, search: f.search, from: f.from, to: f.to } };
}

export function createMessagesRoutes(messages: MessagesService, manage: UserManagement): Router {
  const router = Router();

  router.get('/messages', allow('messages.view'), (req, res) => {
    const actor = actorFromSession(req);
    const { form, filters, error } = filtersOf(req);
    const { page, limit, offset } = requestedPage(req, PAGE_SIZE);
    const { messages: rows, total } = messages.list(actor, filters, limit, offset);
    const senders = [req.currentUser!, ...manage.list(actor, { limit: 500, offset: 0 }).users]
      .filter((u, i, all) => all.findIndex((x) => x.id === u.id) === i);
    res.render('messages/index', {
      title: 'Messages', messages: rows, total, form, error, senders, statuses: MESSAGE_STATUSES,
      ...pageLinks('/messages', page, PAGE_SIZE, total, form),
    });
  });

  router.get('/messages.csv', allow('messages.export'), async (req, res) => {
    const rows = messages.exportRows(actorFromSession(req), exportFilters(filtersOf(req)));
    await streamCsv(res, 'messages.csv',
      ['id', 'sent_at', 'sender_id', 'sender_username', 'recipient_phone', 'status', 'template_used', 'attachment_path', 'message_content'], rows,
      (m: MessageRow) => [csvCell(m.id), csvCell(m.sent_at), csvCell(m.sender_id), csvCell(m.sender_username),
        csvCell(m.recipient_phone, { formulaSafe: false }), csvCell(m.status), csvCell(m.template_used), csvCell(m.attachment_path),
        csvCell(m.message_content)].join(',') + '\r\n');
  });

  return router;
}
