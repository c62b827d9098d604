import type { Db } from '../../db.js';

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
  limit: number;
  offset: number;
}

interface Source {
  contact_id: number;
  scraped_by: number;
  source_group: string;
  scraped_at: string;
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => '\\' + c);
// FTS5 phrase: the whole text matched as a substring (trigram), quotes doubled.
const ftsPhrase = (text: string) => `"${text.replace(/"/g, '""')}"`;

/**
 * Builds the WHERE clause for a contact listing from allowlisted fragments. Trigram search
 * needs 3 characters; shorter searches fall back to LIKE.
 */
function where(f: ContactFilters): { sql: string; params: Record<string, unknown>; sourcesOnly: boolean } {
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  const search = f.search?.trim();
  if (search && [...search].length >= 3) {
    clauses.push('c.id IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH @match)');
    params.match = ftsPhrase(search);
  } else if (search) {
    clauses.push("(c.name LIKE @like ESCAPE '\\' OR c.phone LIKE @like ESCAPE '\\')");
    params.like = `%${escapeLike(search)}%`;
  }
  if (f.beforeId !== undefined) {
    clauses.push('c.id < @beforeId');
    params.beforeId = f.beforeId;
  }
  const sourceClauses: string[] = [];
  if (f.scope) {
    sourceClauses.push('s.scraped_by IN (SELECT value FROM json_each(@scope))');
    params.scope = JSON.stringify(f.scope);
  }
  if (f.sourceGroup !== undefined) {
    sourceClauses.push('s.source_group = @group');
    params.group = f.sourceGroup;
  }
  if (sourceClauses.length) {
    clauses.push(`EXISTS (SELECT 1 FROM contact_sources s WHERE s.contact_id = c.id AND ${sourceClauses.join(' AND ')})`);
  }
  return { sql: clauses.length ? 'WHERE ' + clauses.join(' AND ') : '', params, sourcesOnly: !search && f.beforeId === undefined && sourceClauses.length > 0 };
}

export function createContactsRepo(db: Db) {
  const insertContact = db.prepare<{ phone: string; name: string | null; now: string }, number>(
    `INSERT INTO contacts (phone, name, created_at, updated_at) VALUES (@phone, @name, @now, @now)
     ON CONFLICT (phone) DO NOTHING RETURNING id`).pluck();
  const refreshContact = db.prepare<{ phone: string; name: string | null; now: string }, number>(
    `UPDATE contacts SET name = coalesce(@name, name), updated_at = @now WHERE phone = @phone RETURNING id`).pluck();
  const upsertSource = db.prepare(`INSERT INTO contact_sources (scraped_by, contact_id, source_group, first_scraped_at, scraped_at)
     VALUES (@scrapedBy, @contactId, @group, @now, @now)
     ON CONFLICT (scraped_by, contact_id, source_group) DO UPDATE SET scraped_at = excluded.scraped_at`);
  const cache = new Map<string, ReturnType<Db['prepare']>>();
  const prepared = (sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) cache.set(sql, (stmt = db.prepare(sql)));
    return stmt;
  };

  /** The latest visible source of each listed contact. */
  function latestSources(ids: number[], scope: number[] | null): Map<number, Source> {
    const sql = `SELECT contact_id, scraped_by, source_group, scraped_at FROM contact_sources
      WHERE contact_id IN (SELECT value FROM json_each(@ids))${scope ? ' AND scraped_by IN (SELECT value FROM json_each(@scope))' : ''}
      ORDER BY scraped_at`;
    const rows = prepared(sql).all({ ids: JSON.stringify(ids), ...(scope ? { scope: JSON.stringify(scope) } : {}) }) as Source[];
    return new Map(rows.map((r) => [r.contact_id, r]));
  }

  return {
    /** Inserts or refreshes one contact; a null name keeps the stored one. */
    upsert: (phone: string, name: string | null, now: string): { id: number; created: boolean } => {
      const created = insertContact.get({ phone, name, now });
      return created !== undefined ? { id: created, created: true } : { id: refreshContact.get({ phone, name, now })!, created: false };
    },
    recordSource: (contactId: number, scrapedBy: number, group: string, now: string) => {
      upsertSource.run({ contactId, scrapedBy, group, now });
    },
    listPage: (f: ContactFilters): Contact[] => {
      const w = where(f);
      const rows = prepared(`SELECT c.id, c.phone, c.name FROM contacts c ${w.sql} ORDER BY c.id DESC LIMIT @limit OFFSET @offset`)
        .all({ ...w.params, limit: f.limit, offset: f.offset }) as Array<{ id: number; phone: string; name: string | null }>;
      const sources = latestSources(rows.map((r) => r.id), f.scope);
      return rows.map((r) => {
        const s = sources.get(r.id);
        return { ...r, sourceGroup: s ? s.source_group || null : null, scrapedBy: s?.scraped_by ?? null, scrapedAt: s?.scraped_at ?? null };
      });
    },
    count: (f: Omit<ContactFilters, 'limit' | 'offset'>): number => {
      const w = where({ ...f, limit: 0, offset: 0 });
      if (w.sourcesOnly) {
        // Counting from the sources' own index avoids probing every contact.
        const sql = `SELECT count(DISTINCT s.contact_id) AS n FROM contact_sources s WHERE ${[
          f.scope ? 's.scraped_by IN (SELECT value FROM json_each(@scope))' : null,
          f.sourceGroup !== undefined ? 's.source_group = @group' : null,
        ].filter(Boolean).join(' AND ')}`;
        return (prepared(sql).get(w.params) as { n: number }).n;
      }
      return (prepared(`SELECT count(*) AS n FROM contacts c ${w.sql}`).get(w.params) as { n: number }).n;
    },
  };
}

export type ContactsRepo = ReturnType<typeof createContactsRepo>;
