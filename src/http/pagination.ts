import type { Request } from 'express';
import { pageSchema } from './schemas.js';

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
