import { statementCache, type Db } from '../../db.js';
import { ftsPhrase, indexable, plan, SOURCE_ID_SHIFT, type ContactFilters } from './contacts-search.repo.js';

export type { ContactFilters, PhoneTerm } from './contacts-search.repo.js';

export interface Contact {
  id: number;
  phone: string;
  /** The latest name among the sources the caller may see. */
  name: string | null;
  sourceGroup: string | null;
  scrapedBy: number | null;
  scrapedAt: string | null;
}

interface SourceRow {
  id: number;
  contact_id: number;
  scraped_by: number;
  source_group: string;
  name: string | null;
  named_at: string | null;
  scraped_at: string;
}

const scopeParam = (scope: number[] | null) => (scope ? { scope: JSON.stringify(scope) } : {});
const inScope = (scope: number[] | null) => (scope ? ' AND scraped_by IN (SELECT value FROM json_each(@scope))' : '');

export function createContactsRepo(db: Db) {
  const insertContact = db.prepare<{ phone: string; now: string }, number>(
    'INSERT INTO contacts (phone, created_at, updated_at) VALUES (@phone, @now, @now) ON CONFLICT (phone) DO NOTHING RETURNING id').pluck();
  const contactId = db.prepare<{ phone: string }, number>('SELECT id FROM contacts WHERE phone = @phone').pluck();
  // A new source takes the next number under its contact's id (see migration 006).
  const insertSource = db.prepare<Record<string, unknown>, number>(`INSERT INTO contact_sources
      (scraped_by, contact_id, source_group, id, name, named_at, first_scraped_at, scraped_at)
    VALUES (@scrapedBy, @contactId, @group,
      coalesce((SELECT max(id) + 1 FROM contact_sources WHERE id BETWEEN @contactId << ${SOURCE_ID_SHIFT} AND ((@contactId + 1) << ${SOURCE_ID_SHIFT}) - 1),
        @contactId << ${SOURCE_ID_SHIFT}),
      @name, iif(@name IS NULL, NULL, @now), @now, @now)
    ON CONFLICT (scraped_by, contact_id, source_group) DO NOTHING RETURNING id`).pluck();
  // Re-sending a name makes it this source's latest; an empty one keeps what it had.
  const refreshSource = db.prepare(`UPDATE contact_sources SET scraped_at = @now, name = coalesce(@name, name),
      named_at = iif(@name IS NULL, named_at, @now)
    WHERE scraped_by = @scrapedBy AND contact_id = @contactId AND source_group = @group`);
  const indexSources = db.prepare<{ ids: string }>(`INSERT INTO contact_names_fts (rowid, name)
     SELECT id, name FROM contact_sources WHERE id IN (SELECT value FROM json_each(@ids))`);
  const indexContacts = db.prepare<{ ids: string }>(`INSERT INTO contacts_fts (rowid, phone)
     SELECT id, phone FROM contacts WHERE id IN (SELECT value FROM json_each(@ids))`);
  const prepared = statementCache(db);

  const sourcesOf = (scope: number[]) => (prepared('SELECT count(*) AS n FROM contact_sources WHERE scraped_by IN (SELECT value FROM json_each(@scope))')
    .get({ scope: JSON.stringify(scope) }) as { n: number }).n;
  const hitsOf = (f: ContactFilters) => {
    const names = prepared('SELECT count(*) AS n FROM contact_names_fts WHERE contact_names_fts MATCH @m').get({ m: ftsPhrase(f.search!.trim()) }) as { n: number };
    const phones = f.phone ? prepared('SELECT count(*) AS n FROM contacts_fts WHERE contacts_fts MATCH @m').get({ m: ftsPhrase(f.phone.fragment) }) as { n: number } : { n: 0 };
    return names.n + phones.n;
  };

  /**
   * For a scoped text search, compares the search's hits with the caller's sources: probing
   * each hit costs about five times a scan step, so the indexes win only when hits are rare.
   */
  function withPlanHint<F extends ContactFilters>(f: F): F {
    if (!f.scope || !indexable(f) || f.preferIndex !== undefined) return f;
    const scopeSize = sourcesOf(f.scope);
    // A worker's few thousand contacts scan faster than the index can even be asked.
    if (scopeSize < 20_000) return { ...f, preferIndex: false };
    return { ...f, preferIndex: hitsOf(f) * 5 < scopeSize };
  }

  /** What the caller sees of each listed contact: the latest visible name, and the latest visible source. */
  function seenBy(ids: number[], scope: number[] | null) {
    const rows = prepared(`SELECT id, contact_id, scraped_by, source_group, name, named_at, scraped_at FROM contact_sources
      WHERE contact_id IN (SELECT value FROM json_each(@ids))${inScope(scope)}`).all({ ids: JSON.stringify(ids), ...scopeParam(scope) }) as SourceRow[];
    // Ties (one sync, one instant) go to the newer source.
    const later = (a: SourceRow, b: SourceRow | undefined, at: (r: SourceRow) => string) => !b || at(a) > at(b) || (at(a) === at(b) && a.id > b.id);
    const latest = new Map<number, SourceRow>();
    const named = new Map<number, SourceRow>();
    for (const r of rows) {
      if (later(r, latest.get(r.contact_id), (x) => x.scraped_at)) latest.set(r.contact_id, r);
      if (r.named_at && later(r, named.get(r.contact_id), (x) => x.named_at!)) named.set(r.contact_id, r);
    }
    return { latest, named };
  }

  function listPage(f: ContactFilters): Contact[] {
    const p = plan(f);
    return seen(prepared(p.page).all(p.params) as Array<{ id: number; phone: string }>, f.scope);
  }

  /** A search's page and total from one pass over its hits, instead of one pass for each. */
  function searchWithTotal(f: ContactFilters, p: { hits: string; params: Record<string, unknown> }) {
    const { limit: _l, offset: _o, ...params } = p.params;
    const ids = prepared(p.hits).pluck().all(params) as number[];
    const page = ids.slice(f.offset, f.offset + f.limit);
    const rows = prepared('SELECT id, phone FROM contacts WHERE id IN (SELECT value FROM json_each(@ids)) ORDER BY id DESC').all({ ids: JSON.stringify(page) });
    return { contacts: seen(rows as Array<{ id: number; phone: string }>, f.scope), total: ids.length };
  }

  function seen(rows: Array<{ id: number; phone: string }>, scope: number[] | null): Contact[] {
    const { latest, named } = seenBy(rows.map((r) => r.id), scope);
    return rows.map((r) => {
      const s = latest.get(r.id);
      return { ...r, name: named.get(r.id)?.name ?? null, sourceGroup: s ? s.source_group || null : null,
        scrapedBy: s?.scraped_by ?? null, scrapedAt: s?.scraped_at ?? null };
    });
  }

  function count(f: ContactFilters): number {
    const p = plan({ ...f, beforeId: undefined });
    const { limit: _l, offset: _o, ...params } = p.params;
    return (prepared(p.count).get(params) as { n: number }).n;
  }

  return {
    /** The contact's id, inserting it if the phone is new (and saying so). */
    findOrInsert: (phone: string, now: string): { id: number; created: boolean } => {
      const created = insertContact.get({ phone, now });
      return created !== undefined ? { id: created, created: true } : { id: contactId.get({ phone })!, created: false };
    },
    /** Which of these contacts already have a source in the scope (null: any source). */
    knownTo: (ids: number[], scope: number[] | null): Set<number> => new Set(prepared(`SELECT DISTINCT contact_id FROM contact_sources
        WHERE contact_id IN (SELECT value FROM json_each(@ids))${inScope(scope)}`).pluck().all({ ids: JSON.stringify(ids), ...scopeParam(scope) }) as number[]),
    /** Records one syncer's source with the name it gave; returns the new source's id, if new. */
    recordSource: (s: { contactId: number; scrapedBy: number; group: string; name: string | null; now: string }): number | null => {
      const created = insertSource.get(s);
      if (created === undefined) refreshSource.run(s);
      return created ?? null;
    },
    /** Adds sources and contacts created in this transaction to the search indexes, one statement each. */
    indexCreated: (sourceIds: number[], contactIds: number[]): void => {
      if (sourceIds.length > 0) indexSources.run({ ids: JSON.stringify(sourceIds) });
      if (contactIds.length > 0) indexContacts.run({ ids: JSON.stringify(contactIds) });
    },
    /** A bounded step of index merging, so searches stay fast between bulk syncs. */
    mergeIndex: (): void => {
      db.exec("INSERT INTO contact_names_fts (contact_names_fts, rank) VALUES ('merge', 500)");
      db.exec("INSERT INTO contacts_fts (contacts_fts, rank) VALUES ('merge', 500)");
    },
    /** One page and the total under the same filters, planned once. */
    listWithTotal: (filters: ContactFilters): { contacts: Contact[]; total: number } => {
      const f = withPlanHint({ ...filters, beforeId: undefined });
      const p = plan(f);
      return p.hits ? searchWithTotal(f, { hits: p.hits, params: p.params }) : { contacts: listPage(f), total: count(f) };
    },
    listPage: (filters: ContactFilters): Contact[] => listPage(withPlanHint(filters)),
    count: (f: Omit<ContactFilters, 'limit' | 'offset' | 'beforeId'>): number => count(withPlanHint({ ...f, limit: 0, offset: 0 })),
  };
}

export type ContactsRepo = ReturnType<typeof createContactsRepo>;
