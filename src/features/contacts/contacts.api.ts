import express, { Router } from 'express';
import { actorFromToken, allowBearer, parseInput } from '../../http/bearer.js';
import type { TokenAuthService } from '../auth/token-auth.service.js';
import type { Contact } from './contacts.repo.js';
import { contactsQuerySchema, syncBodySchema } from './contacts.schemas.js';
import type { ContactsService } from './contacts.service.js';

const serialize = (c: Contact) => ({ id: c.id, phone: c.phone, name: c.name, source_group: c.sourceGroup, scraped_by: c.scrapedBy, scraped_at: c.scrapedAt });

/** /api/contacts: sync from the main app's scrapes, and search what the caller may see. */
export function createContactsApi(contacts: ContactsService, tokens: TokenAuthService): Router {
  const router = Router();

  router.post('/sync', allowBearer(tokens, 'contacts.sync'), express.json({ limit: '4mb' }), (req, res) => {
    const body = parseInput(syncBodySchema, req.body);
    const result = contacts.sync(actorFromToken(req, res), body.contacts, body.source_group || undefined);
    res.json({ message: `Synced ${result.synced} contacts`, ...result });
  });

  router.get('/stats', allowBearer(tokens, 'contacts.list'), (req, res) => {
    res.json({ total_contacts: contacts.total(actorFromToken(req, res)) });
  });

  router.get('/', allowBearer(tokens, 'contacts.list'), (req, res) => {
    const q = parseInput(contactsQuerySchema, req.query);
    const page = contacts.list(actorFromToken(req, res), { search: q.search, sourceGroup: q.source_group, limit: q.limit, offset: q.offset });
    res.json({ contacts: page.contacts.map(serialize), total: page.total, limit: q.limit, offset: q.offset });
  });

  return router;
}
