import type { Request } from 'express';

const MAX_PAGE = 1_000_000;

/** The page asked for with ?page=N (1 for anything unusable), as a limit and offset. */
export function requestedPage(req: Request, size: number): { page: number; limit: number; offset: number } {
  const n = Number(req.query.page);
  const page = Number.isInteger(n) && n >= 1 && n <= MAX_PAGE ? n : 1;
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
