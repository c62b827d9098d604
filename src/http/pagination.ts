import type { Request } from 'express';
import { pageSchema, queryInteger } from './schemas.js';

/** The page asked for with ?page=N (1 for anything unusable), as a limit and offset. */
export function requestedPage(req: Request, size: number): { page: number; limit: number; offset: number } {
  const page = pageSchema.parse(req.query.page);
  return { page, limit: size, offset: (page - 1) * size };
}

/**
 * What views/partials/pagination.ejs draws, and the current filter as a query string for
 * links that must keep it (the CSV download). Empty filter values are left out.
 */
export function pageLinks(path: string, page: number, size: number, total: number, query: Record<string, string>) {
  const kept = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== ''));
  return {
    pagination: { page, pages: Math.max(1, Math.ceil(total / size)), path, query: kept },
    csvQuery: new URLSearchParams(kept).toString(),
  };
}

/**
 * The links of a newest-first keyset listing, keeping its query: back to the newest page
 * (when not on it) and on to older rows (when there are), as views/partials/keyset-pages.ejs draws them.
 */
export function keysetLinks(path: string, query: URLSearchParams, at: { before?: number; nextBefore: number | null }, anchor = '') {
  const link = (before: number | null) => {
    const params = new URLSearchParams(query);
    if (before !== null) params.set('before', String(before));
    return path + (params.size ? `?${params.toString()}` : '') + anchor;
  };
  return { newestLink: at.before === undefined ? null : link(null), olderLink: at.nextBefore === null ? null : link(at.nextBefore) };
}

const beforeSchema = queryInteger('before must be a row id', 1);

/** Where a newest-first keyset page starts (`?before=` a row id); one that cannot be read starts at the newest. */
export function requestedBefore(req: Request): number | undefined {
  const parsed = beforeSchema.safeParse(req.query.before);
  return parsed.success ? parsed.data : undefined;
}
