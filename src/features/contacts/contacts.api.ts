import express, { Router } from 'express';
import { actorFromToken, permit } from '../../http/bearer.js';
import { parseInput } from '../../http/validate.js';
import { contactJson } from './contacts.json.js';
import { contactsQuerySchema, syncBodySchema } from './contacts.schemas.js';
import type { ContactsService } from './contacts.service.js';

/** /api/contacts: sync from the main app's scrapes, and search what the caller may see. */
export function createContactsApi(deps: { contacts: ContactsService }): Router {
  const { contacts } = deps;
  const router = Router();

  router.post('/sync', permit('contacts.sync'), express.json({ limit: '4mb' }), (req, res) => {
    const body = parseInput(syncBodySchema, req.body);
    const result = contacts.sync(actorFromToken(req, res), body.contacts, body.sourceGroup);
    res.json({ message: `Synced ${result.synced} contacts`, ...result });
  });

  router.get('/stats', permit('contacts.list'), (req, res) => {
    res.json({ total_contacts: contacts.total(actorFromToken(req, res)) });
  });

  router.get('/', permit('contacts.list'), (req, res) => {
    const q = parseInput(contactsQuerySchema, req.query);
    const page = contacts.list(actorFromToken(req, res), { search: q.search, sourceGroup: q.source_group, limit: q.limit, offset: q.offset });
    res.json({ contacts: page.contacts.map(contactJson), total: page.total, limit: q.limit, offset: q.offset });
  });

  return router;
}
