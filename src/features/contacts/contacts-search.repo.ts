import { escapeLike } from '../../db.js';

export interface PhoneTerm {
  /** The term without separators: a substring of stored phones. */
  fragment: string;
  /** The whole term as a canonical number, when it is one. */
  exact: string | null;
}

export interface ContactFilters {
  /** User ids whose syncs the caller may see; null means everyone's. */
  scope: number[] | null;
  /** Text to find in the names of the sources the caller may see. */
  search?: string;
  /** How the same text matches phones; absent when it cannot be part of one. */
  phone?: PhoneTerm | null;
  sourceGroup?: string;
  /** Keyset cursor for exports: only contacts with a smaller id. */
  beforeId?: number;
  /** Set by the repo: the search indexes are the cheaper way into a scoped search. */
  preferIndex?: boolean;
  limit: number;
  offset: number;
}

export interface Plan {
  page: string;
  count: string;
  /** For a search: every matching contact id, one pass (the page and the total come from it). */
  hits?: string;
  params: Record<string, unknown>;
}

/** Source ids are the contact's id times 2^20 plus a number (migration 006). */
export const SOURCE_ID_SHIFT = 20;

// FTS5 phrase: the whole text matched as a substring (trigram), quotes doubled.
// FTS5 cannot parse a NUL inside a phrase; no stored text holds one, so it is dropped.
export const ftsPhrase = (text: string) => `"${text.replace(/\0/g, '').replace(/"/g, '""')}"`;

/** Both indexes answer only terms of 3+ characters (trigrams). */
export function indexable(f: Pick<ContactFilters, 'search' | 'phone'>): boolean {
  const search = f.search?.trim();
  return Boolean(search) && [...search!].length >= 3 && (!f.phone || f.phone.fragment.length >= 3);
}

const PAGE = 'ORDER BY c.id DESC LIMIT @limit OFFSET @offset';

/** A name match on source row `s`, and a phone match on contact `c`, as LIKE scans. */
function likeTerms(f: ContactFilters, params: Record<string, unknown>) {
  params.like = `%${escapeLike(f.search!.trim())}%`;
  const name = "s.name LIKE @like ESCAPE '\\'";
  if (!f.phone) return { name, phone: null };
  params.phoneLike = `%${escapeLike(f.phone.fragment)}%`;
  params.exact = f.phone.exact;
  return { name, phone: "(c.phone LIKE @phoneLike ESCAPE '\\' OR c.phone = @exact)" };
}

/**
 * Contact ids whose visible names or phones match, from the indexes: a name hit counts only
 * when its own source row is visible (`sources` conditions on `s`), a phone hit when the
 * contact has any visible source.
 */
function indexHits(f: ContactFilters, sources: string[], params: Record<string, unknown>): string {
  params.names = ftsPhrase(f.search!.trim());
  const visibleName = sources.length
    ? ` AND EXISTS (SELECT 1 FROM contact_sources s WHERE s.id = n.rowid AND ${sources.join(' AND ')})` : '';
  const names = `SELECT n.rowid >> ${SOURCE_ID_SHIFT} AS id FROM contact_names_fts n WHERE contact_names_fts MATCH @names${visibleName}`;
  if (!f.phone) return names;
  params.phones = f.phone.exact ? `${ftsPhrase(f.phone.fragment)} OR ${ftsPhrase(f.phone.exact)}` : ftsPhrase(f.phone.fragment);
  const visiblePhone = sources.length
    ? ` AND EXISTS (SELECT 1 FROM contact_sources s WHERE s.contact_id = p.rowid AND ${sources.join(' AND ')})` : '';
  return `${names} UNION SELECT p.rowid AS id FROM contacts_fts p WHERE contacts_fts MATCH @phones${visiblePhone}`;
}

/** A search by scanning: the caller's sources (or all), their names and their contacts' phones. */
function scanHits(f: ContactFilters, sources: string[], params: Record<string, unknown>): string {
  const terms = likeTerms(f, params);
  const where = [...sources, terms.phone ? `(${terms.name} OR ${terms.phone})` : terms.name].join(' AND ');
  return `SELECT s.contact_id AS id FROM contact_sources s${terms.phone ? ' JOIN contacts c ON c.id = s.contact_id' : ''} WHERE ${where}`;
}

/**
 * Chooses how to answer a listing, from allowlisted fragments:
 * - a search (3+ characters) over everyone's contacts, or a scoped one whose hits are rare:
 *   the trigram indexes of names (per source) and phones, hits kept only where visible;
 * - another search: scan the caller's sources (or all sources), their names and phones;
 * - no search: the caller's sources, or the contacts table in id order.
 */
export function plan(f: ContactFilters): Plan {
  const params: Record<string, unknown> = { limit: f.limit, offset: f.offset };
  const before = f.beforeId !== undefined ? ' AND c.id < @beforeId' : '';
  if (before) params.beforeId = f.beforeId;
  const sources: string[] = [];
  if (f.scope) {
    sources.push('s.scraped_by IN (SELECT value FROM json_each(@scope))');
    params.scope = JSON.stringify(f.scope);
  }
  if (f.sourceGroup !== undefined) {
    sources.push('s.source_group = @group');
    params.group = f.sourceGroup;
  }
  const search = f.search?.trim();
  if (search) {
    const useIndex = indexable(f) && (sources.length === 0 || f.preferIndex === true);
    const hits = useIndex ? indexHits(f, sources, params) : scanHits(f, sources, params);
    return {
      page: `SELECT c.id, c.phone FROM contacts c WHERE c.id IN (${hits})${before} ${PAGE}`,
      count: `SELECT count(DISTINCT id) AS n FROM (${hits})`,
      hits: `SELECT DISTINCT id FROM (${hits}) ORDER BY id DESC`,
      params,
    };
  }
  if (sources.length > 0) {
    const visible = `SELECT s.contact_id FROM contact_sources s WHERE ${sources.join(' AND ')}`;
    return {
      page: `SELECT c.id, c.phone FROM contacts c WHERE c.id IN (${visible})${before} ${PAGE}`,
      count: `SELECT count(DISTINCT s.contact_id) AS n FROM contact_sources s WHERE ${sources.join(' AND ')}`,
      params,
    };
  }
  const where = before ? `WHERE ${before.slice(5)}` : '';
  return { page: `SELECT c.id, c.phone FROM contacts c ${where} ${PAGE}`, count: `SELECT count(*) AS n FROM contacts c ${where}`, params };
}
