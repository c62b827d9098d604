import { Router, type Request } from 'express';
import { streamCsv } from '../../http/csv.js';
import { pageLinks, requestedPage } from '../../http/pagination.js';
import { actorFromSession, allow } from '../../http/panel-auth.js';
import { exportFilters, readFilterForm } from '../../http/validate.js';
import { contactsCsv } from './contacts.json.js';
import { contactsFilterSchema } from './contacts.schemas.js';
import type { ContactsService } from './contacts.service.js';

const PAGE_SIZE = 50;

function filtersOf(req: Request) {
  const { form, values: f, error } = readFilterForm(req.query, contactsFilterSchema, ['search', 'group']);
  return { form, error, filters: { search: f.search, sourceGroup: f.group } };
}

export function createContactsRoutes(deps: { contacts: ContactsService }): Router {
  const { contacts } = deps;
  const router = Router();

  router.get('/contacts', allow('contacts.view'), (req, res) => {
    const { form, error, filters } = filtersOf(req);
    const actor = actorFromSession(req);
    const { page, limit, offset } = requestedPage(req, PAGE_SIZE);
    const { contacts: rows, total } = contacts.list(actor, { ...filters, limit, offset });
    res.render('contacts/index', {
      title: 'Contacts', contacts: rows, total, visibleTotal: filters.search || filters.sourceGroup ? contacts.total(actor) : total, query: form,
      invalidFilter: error !== null, ...pageLinks('/contacts', page, PAGE_SIZE, total, form),
    });
  });

  // An export never widens a filter it cannot apply into "everything".
  router.get('/contacts.csv', allow('contacts.export'), async (req, res) => {
    const rows = contacts.exportRows(actorFromSession(req), exportFilters(filtersOf(req)));
    await streamCsv(res, contactsCsv, rows);
  });

  return router;
}
