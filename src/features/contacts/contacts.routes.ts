import { Router } from 'express';
import { z } from 'zod';
import { csvCell, streamCsv } from '../../http/csv.js';
import { BadRequest } from '../../http/errors.js';
import { pageLinks, requestedPage } from '../../http/pagination.js';
import { actorFromSession, allow } from '../../http/panel-auth.js';
import type { Contact } from './contacts.repo.js';
import { searchText } from './contacts.schemas.js';
import type { ContactsService } from './contacts.service.js';

const PAGE_SIZE = 50;
const filtersSchema = z.object({
  search: searchText,
  group: z.string().max(200).optional().transform((v) => v?.trim() || undefined),
});

export function createContactsRoutes(contacts: ContactsService): Router {
  const router = Router();

  router.get('/contacts', allow('contacts.view'), (req, res) => {
    const parsed = filtersSchema.safeParse(req.query);
    const f: { search?: string; group?: string } = parsed.success ? parsed.data : {};
    const actor = actorFromSession(req);
    const { page, limit, offset } = requestedPage(req, PAGE_SIZE);
    const { contacts: rows, total } = contacts.list(actor, { search: f.search, sourceGroup: f.group, limit, offset });
    const query = { search: f.search ?? '', group: f.group ?? '' };
    res.render('contacts/index', {
      title: 'Contacts', contacts: rows, total, visibleTotal: f.search || f.group ? contacts.total(actor) : total, query,
      invalidFilter: !parsed.success, ...pageLinks('/contacts', page, PAGE_SIZE, total, query),
    });
  });

  router.get('/contacts.csv', allow('contacts.export'), async (req, res) => {
    const parsed = filtersSchema.safeParse(req.query);
    // An export never widens a filter it cannot apply into "everything".
    if (!parsed.success) throw new BadRequest(parsed.error.issues[0]!.message);
    const f = parsed.data;
    const rows = contacts.exportRows(actorFromSession(req), { search: f.search, sourceGroup: f.group });
    await streamCsv(res, 'contacts.csv', ['id', 'phone', 'name', 'source_group', 'scraped_by', 'scraped_at'], rows,
      (c: Contact) => [csvCell(c.id), csvCell(c.phone, { formulaSafe: false }), csvCell(c.name), csvCell(c.sourceGroup),
        csvCell(c.scrapedBy), csvCell(c.scrapedAt)].join(',') + '\r\n');
  });

  return router;
}
