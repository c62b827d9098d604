import { escapeLike, statementCache, type Db } from '../../db.js';

export interface Contact {
  id: number;
  phone: string;
  name: string | null;
  sourceGroup: string | null;
  scrapedBy: number | null;
  scrapedAt: string | null;
}

export interface ContactFilters {
  /** User ids whose syncs the caller may see; null means everyone's. */
  scope: number[] | null;
  search?: string;
  sourceGroup?: string;
  /** Keyset cursor for exports: only contacts with a smaller id. */
  beforeId?: number;
  /** Set by the repo: the search index is the cheaper way into a scoped search. */
  preferIndex?: boolean;
  limit: number;
  offset: number;
}

interface Source {
  contact_id: number;
  scraped_by: number;
  source_group: string;
  scraped_at: string;
}

// FTS5 phrase: the whole text matched as a substring (trigram), quotes doubled.
const ftsPhrase = (text: string) => `"${text.replace(/"/g, '""')}"`;

interface Plan {
  page: string;
  count: string;
  params: Record<string, unknown>;
}

const COLUMNS = 'c.id, c.phone, c.name';
const PAGE = 'ORDER BY c.id DESC LIMIT @limit OFFSET @offset';

/**
 * Chooses how to answer a listing, from allowlisted fragments:
 * - scoped (a worker's or a team's contacts) or by group: start from those contacts' sources,
 *   which are few next to all contacts, and filter them by text directly;
 * - everyone's, searching 3+ characters: the trigram index answers both the page and the count;
 * - otherwise: the contacts table in id order (short searches scan with LIKE).
 */
function plan(f: ContactFilters): Plan {
  const params: Record<string, unknown> = { limit: f.limit, offset: f.offset };
  const search = f.search?.trim();
  const text = search ? "(c.name LIKE @like ESCAPE '\\' OR c.phone LIKE @like ESCAPE '\\')" : null;
  if (search) params.like = `%${escapeLike(search)}%`;
  const before = f.beforeId !== undefined ? 'c.id < @beforeId' : null;
  if (before) params.beforeId = f.beforeId;

  const sourceConditions: string[] = [];
  if (f.scope) {
    sourceConditions.push('s.scraped_by IN (SELECT value FROM json_each(@scope))');
    params.scope = JSON.stringify(f.scope);
  }
  if (f.sourceGroup !== undefined) {
    sourceConditions.push('s.source_group = @group');
    params.group = f.sourceGroup;
  }
  if (sourceConditions.length > 0) {
    const sources = `SELECT s.contact_id FROM contact_sources s WHERE ${sourceConditions.join(' AND ')}`;
    if (search && [...search].length >= 3 && f.preferIndex) {
      // The search is rarer than the caller's contacts: walk its hits and keep the visible ones.
      params.match = ftsPhrase(search);
      const visible = `EXISTS (SELECT 1 FROM contact_sources s WHERE s.contact_id = f.rowid AND ${sourceConditions.join(' AND ')})`;
      return {
        page: `SELECT ${COLUMNS} FROM contacts_fts f JOIN contacts c ON c.id = f.rowid
          WHERE contacts_fts MATCH @match AND ${visible}${before ? ' AND f.rowid < @beforeId' : ''} ORDER BY f.rowid DESC LIMIT @limit OFFSET @offset`,
        count: `SELECT count(*) AS n FROM contacts_fts f WHERE contacts_fts MATCH @match AND ${visible}`,
        params,
      };
    }
    const conditions = [`c.id IN (${sources})`, text, before].filter(Boolean).join(' AND ');
    return {
      page: `SELECT ${COLUMNS} FROM contacts c WHERE ${conditions} ${PAGE}`,
      count: text
        ? `SELECT count(*) AS n FROM contacts c WHERE c.id IN (${sources}) AND ${text}`
        : `SELECT count(DISTINCT s.contact_id) AS n FROM contact_sources s WHERE ${sourceConditions.join(' AND ')}`,
      params,
    };
  }
  if (search && [...search].length >= 3) {
    params.match = ftsPhrase(search);
    const hits = `SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH @match${before ? ' AND rowid < @beforeId' : ''}
      ORDER BY rowid DESC LIMIT @limit OFFSET @offset`;
    return {
      page: `SELECT ${COLUMNS} FROM (${hits}) h JOIN contacts c ON c.id = h.rowid ORDER BY c.id DESC`,
      count: 'SELECT count(*) AS n FROM contacts_fts WHERE contacts_fts MATCH @match',
      params,
    };
  }
  const where = [text, before].filter(Boolean);
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  return { page: `SELECT ${COLUMNS} FROM contacts c ${clause} ${PAGE}`, count: `SELECT count(*) AS n FROM contacts c ${clause}`, params };
}

export function createContactsRepo(db: Db) {
  const insertContact = db.prepare<{ phone: string; name: string | null; now: string }, number>(
    `INSERT INTO contacts (phone, name, created_at, updated_at) VALUES (@phone, @name, @now, @now)
     ON CONFLICT (phone) DO NOTHING RETURNING id`).pluck();
  const refreshContact = db.prepare<{ phone: string; name: string | null; now: string }, number>(
    `UPDATE contacts SET name = coalesce(@name, name), updated_at = @now WHERE phone = @phone RETURNING id`).pluck();
  const indexNew = db.prepare<{ ids: string }>(`INSERT INTO contacts_fts (rowid, name, phone)
     SELECT id, name, phone FROM contacts WHERE id IN (SELECT value FROM json_each(@ids))`);
  const upsertSource = db.prepare(`INSERT INTO contact_sources (scraped_by, contact_id, source_group, first_scraped_at, scraped_at)
     VALUES (@scrapedBy, @contactId, @group, @now, @now)
     ON CONFLICT (scraped_by, contact_id, source_group) DO UPDATE SET scraped_at = excluded.scraped_at`);
  const prepared = statementCache(db);

  const ftsHits = db.prepare<{ match: string }, number>('SELECT count(*) FROM contacts_fts WHERE contacts_fts MATCH @match').pluck();
  const sourcesOf = (scope: number[]) => (prepared(`SELECT count(*) AS n FROM contact_sources WHERE scraped_by IN (SELECT value FROM json_each(@scope))`)
    .get({ scope: JSON.stringify(scope) }) as { n: number }).n;

  /**
   * For a scoped text search, compares the search's hits with the caller's contacts: probing
   * each hit costs about five times a scan step, so the index wins only when hits are rare.
   */
  function withPlanHint<F extends ContactFilters>(f: F): F {
    const search = f.search?.trim();
    if (!f.scope || !search || [...search].length < 3 || f.preferIndex !== undefined) return f;
    const scopeSize = sourcesOf(f.scope);
    // A worker's few thousand contacts scan faster than the index can even be asked.
    if (scopeSize < 20_000) return { ...f, preferIndex: false };
    return { ...f, preferIndex: ftsHits.get({ match: ftsPhrase(search) })! * 5 < scopeSize };
  }

  /** The latest visible source of each listed contact. */
  function latestSources(ids: number[], scope: number[] | null): Map<number, Source> {
    const sql = `SELECT contact_id, scraped_by, source_group, scraped_at FROM contact_sources
      WHERE contact_id IN (SELECT value FROM json_each(@ids))${scope ? ' AND scraped_by IN (SELECT value FROM json_each(@scope))' : ''}
      ORDER BY scraped_at`;
    const rows = prepared(sql).all({ ids: JSON.stringify(ids), ...(scope ? { scope: JSON.stringify(scope) } : {}) }) as Source[];
    return new Map(rows.map((r) => [r.contact_id, r]));
  }

  const repo = {
    /** Inserts or refreshes one contact; a null name keeps the stored one. */
    upsert: (phone: string, name: string | null, now: string): { id: number; created: boolean } => {
      const created = insertContact.get({ phone, name, now });
      return created !== undefined ? { id: created, created: true } : { id: refreshContact.get({ phone, name, now })!, created: false };
    },
    /** A bounded step of index merging, so searches stay fast between bulk syncs. */
    mergeIndex: (): void => {
      db.exec("INSERT INTO contacts_fts (contacts_fts, rank) VALUES ('merge', 500)");
    },
    /** Adds contacts created in this transaction to the search index, in one statement. */
    indexCreated: (ids: number[]): void => {
      if (ids.length > 0) indexNew.run({ ids: JSON.stringify(ids) });
    },
    recordSource: (contactId: number, scrapedBy: number, group: string, now: string) => {
      upsertSource.run({ contactId, scrapedBy, group, now });
    },
    /** One page and the total under the same filters, planned once. */
    listWithTotal: (filters: ContactFilters): { contacts: Contact[]; total: number } => {
      const f = withPlanHint(filters);
      return { contacts: listPage(f), total: count(f) };
    },
    listPage: (filters: ContactFilters): Contact[] => listPage(withPlanHint(filters)),
    count: (f: Omit<ContactFilters, 'limit' | 'offset' | 'beforeId'>): number => count(withPlanHint({ ...f, limit: 0, offset: 0 })),
  };

  return repo;

  function listPage(f: ContactFilters): Contact[] {
      const p = plan(f);
      const rows = prepared(p.page).all(p.params) as Array<{ id: number; phone: string; name: string | null }>;
      const sources = latestSources(rows.map((r) => r.id), f.scope);
      return rows.map((r) => {
        const s = sources.get(r.id);
        return { ...r, sourceGroup: s ? s.source_group || null : null, scrapedBy: s?.scraped_by ?? null, scrapedAt: s?.scraped_at ?? null };
      });
  }

  function count(f: ContactFilters): number {
    const p = plan({ ...f, beforeId: undefined });
    const { limit: _l, offset: _o, ...params } = p.params;
    return (prepared(p.count).get(params) as { n: number }).n;
  }
}

export type ContactsRepo = ReturnType<typeof createContactsRepo>;
