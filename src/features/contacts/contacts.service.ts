import { isoTime, type Clock } from '../../clock.js';
import { keysetChunks, writeTransaction, type Db } from '../../db.js';
import type { TeamLookup } from '../../domain/account.js';
import { dataScope } from '../../domain/permissions.js';
import type { ActorContext } from '../../domain/principal.js';
import { phoneSearch, readPhone } from '../../phone.js';
import type { ActivityLog } from '../activity/activity-log.service.js';
import { createContactsRepo } from './contacts.repo.js';

const EXPORT_CHUNK = 2000;

export interface SyncResult {
  synced: number;
  created: number;
  updated: number;
  skipped: Array<{ index: number; reason: string }>;
}

function cleanName(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what it replaces
  const name = raw.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, 200);
  return name === '' ? null : name;
}

/**
 * Valid entries by canonical phone (a number listed twice, in any spelling, is one contact;
 * the last non-empty name wins), and the entries skipped with why. Each contact is then
 * written exactly once, which also keeps the search indexes in step (filled in bulk after).
 */
function readEntries(contacts: unknown[], defaultCountry: string | undefined) {
  const byPhone = new Map<string, string | null>();
  const skipped: SyncResult['skipped'] = [];
  contacts.forEach((item, index) => {
    const entry = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const reading = readPhone(entry.phone ?? entry.number, defaultCountry);
    if (!reading.ok) {
      skipped.push({ index, reason: reading.reason });
      return;
    }
    byPhone.set(reading.phone, cleanName(entry.name) ?? byPhone.get(reading.phone) ?? null);
  });
  return { byPhone, skipped };
}

export interface ContactsServiceDeps {
  /** The data connection (synchronous=NORMAL by default): contacts are not security state. */
  db: Db;
  team: TeamLookup;
  activityLog: ActivityLog;
  /** Country for numbers written without one (see phone.ts); undefined reads them as international. */
  defaultCountry: string | undefined;
  clock: Clock;
}

/** The contacts the main app scrapes: sync, search within what the caller may see, export. */
export function createContactsService(deps: ContactsServiceDeps) {
  const { db, activityLog, clock, defaultCountry } = deps;
  const repo = createContactsRepo(db);
  const scopeOf = (actor: ActorContext) => dataScope(actor, (managerId) => deps.team.workerIdsCreatedBy(managerId));

  /**
   * Records the caller's sources (with the names it gave) in one transaction; a contact keeps
   * its id and one canonical phone. Counts are the caller's view: `created` were not visible
   * to it before, `updated` were. Nothing another caller sees changes: names live on the
   * caller's own source rows. Entries that are not phones are skipped and reported.
   */
  function sync(actor: ActorContext, contacts: unknown[], sourceGroup: string | undefined): SyncResult {
    const group = sourceGroup ?? '';
    const { byPhone, skipped } = readEntries(contacts, defaultCountry);
    return writeTransaction(db, (): SyncResult => {
      const now = isoTime(clock());
      const entries = [...byPhone].map(([phone, name]) => ({ name, ...repo.findOrInsert(phone, now) }));
      const known = repo.knownTo(entries.filter((e) => !e.created).map((e) => e.id), scopeOf(actor));
      const newSources: number[] = [];
      for (const e of entries) {
        const sourceId = repo.recordSource({ contactId: e.id, scrapedBy: actor.id, group, name: e.name, now });
        if (sourceId !== null) newSources.push(sourceId);
      }
      repo.indexCreated(newSources, entries.filter((e) => e.created).map((e) => e.id));
      const updated = entries.filter((e) => known.has(e.id)).length;
      const result: SyncResult = { synced: entries.length, created: entries.length - updated, updated, skipped };
      activityLog.append({ action: 'contacts.sync', outcome: 'success', userId: actor.id, username: actor.username,
        targetType: 'contacts', targetName: group || null, loginRef: actor.loginRef ?? null, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null,
        detail: { source_group: group || null, received: contacts.length, created: result.created, updated: result.updated, skipped: result.skipped.length } });
      return result;
    });
  }

  /** A search term as the repo takes it: names as typed, phones in any spelling. */
  const searchOf = (search: string | undefined) => (search ? { search, phone: phoneSearch(search, defaultCountry) } : {});

  function list(actor: ActorContext, f: { search?: string; sourceGroup?: string; limit: number; offset: number }) {
    return repo.listWithTotal({ ...f, ...searchOf(f.search), scope: scopeOf(actor) });
  }

  const total = (actor: ActorContext) => repo.count({ scope: scopeOf(actor) });
  /** Every matching contact, newest first, fetched in keyset chunks (no query held open). */
  function exportRows(actor: ActorContext, f: { search?: string; sourceGroup?: string }) {
    const scope = scopeOf(actor);
    return keysetChunks((beforeId) => repo.listPage({ ...f, ...searchOf(f.search), scope, beforeId, limit: EXPORT_CHUNK, offset: 0 }));
  }

  return { sync, list, total, exportRows, tidySearchIndex: () => repo.mergeIndex() };
}

export type ContactsService = ReturnType<typeof createContactsService>;
