import { keysetChunks, type Db } from '../../db.js';
import { BadRequest } from '../../http/errors.js';
import { dataScope } from '../../permissions.js';
import type { EventsRepo } from '../activity/activity.log.js';
import type { ActorContext } from '../users/users.manage.js';
import type { UsersRepo } from '../users/users.repo.js';
import { createContactsRepo } from './contacts.repo.js';
import { MAX_CONTACTS_PER_SYNC } from './contacts.schemas.js';
import { normalisePhone } from './phone.js';

const EXPORT_CHUNK = 2000;

export interface SyncResult {
  synced: number;
  created: number;
  updated: number;
  skipped: Array<{ index: number; reason: string }>;
}

function cleanName(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const name = raw.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, 200);
  return name === '' ? null : name;
}

/**
 * Valid entries by normalised phone (a phone listed twice is one contact; the last non-empty
 * name wins), and the entries skipped with why. Each contact is then written exactly once,
 * which also keeps the search index in step (it is filled in bulk after the inserts).
 */
function readEntries(contacts: unknown[]) {
  const byPhone = new Map<string, string | null>();
  const skipped: SyncResult['skipped'] = [];
  contacts.forEach((item, index) => {
    const entry = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const raw = entry.phone ?? entry.number;
    const phone = normalisePhone(raw);
    if (!phone) {
      skipped.push({ index, reason: raw === undefined || raw === null || raw === '' ? 'phone is missing' : 'not a phone number' });
      return;
    }
    byPhone.set(phone, cleanName(entry.name) ?? byPhone.get(phone) ?? null);
  });
  return { byPhone, skipped };
}

export function createContactsService(db: Db, users: UsersRepo, events: EventsRepo, clock: () => number = Date.now) {
  const repo = createContactsRepo(db);
  const scopeOf = (actor: ActorContext) => dataScope(actor, users.idsCreatedBy);

  /**
   * Upserts contacts by normalised phone in one transaction: a contact keeps its id, its name
   * changes only when a non-empty one is sent, and who synced it from which group is kept.
   * Entries that are not phones are skipped and reported; the sync is idempotent.
   */
  function sync(actor: ActorContext, contacts: unknown[] | undefined, sourceGroup: string | undefined): SyncResult {
    if (!contacts || contacts.length === 0) throw new BadRequest('No contacts provided', { contacts: 'No contacts provided' });
    if (contacts.length > MAX_CONTACTS_PER_SYNC) {
      const message = `At most ${MAX_CONTACTS_PER_SYNC} contacts per request`;
      throw new BadRequest(message, { contacts: message });
    }
    const group = sourceGroup ?? '';
    const { byPhone, skipped } = readEntries(contacts);
    return db.transaction((): SyncResult => {
      const now = new Date(clock()).toISOString();
      const result: SyncResult = { synced: 0, created: 0, updated: 0, skipped };
      const createdIds: number[] = [];
      for (const [phone, name] of byPhone) {
        const { id, created } = repo.upsert(phone, name, now);
        repo.recordSource(id, actor.id, group, now);
        if (created) createdIds.push(id);
        else result.updated += 1;
      }
      repo.indexCreated(createdIds);
      result.created = createdIds.length;
      result.synced = result.created + result.updated;
      events.record({ action: 'contacts.sync', outcome: 'success', userId: actor.id, username: actor.username,
        loginRef: actor.loginRef ?? null, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null,
        detail: { source_group: group || null, received: contacts.length, created: result.created, updated: result.updated, skipped: result.skipped.length } });
      return result;
    }).immediate();
  }

  function list(actor: ActorContext, f: { search?: string; sourceGroup?: string; limit: number; offset: number }) {
    return repo.listWithTotal({ ...f, scope: scopeOf(actor) });
  }

  const total = (actor: ActorContext) => repo.count({ scope: scopeOf(actor) });
  /** Every matching contact, newest first, fetched in keyset chunks (no query held open). */
  function exportRows(actor: ActorContext, f: { search?: string; sourceGroup?: string }) {
    const scope = scopeOf(actor);
    return keysetChunks((beforeId) => repo.listPage({ ...f, scope, beforeId, limit: EXPORT_CHUNK, offset: 0 }));
  }

  return { sync, list, total, exportRows, tidySearchIndex: () => repo.mergeIndex() };
}

export type ContactsService = ReturnType<typeof createContactsService>;
