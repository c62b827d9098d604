import type { Request, RequestHandler } from 'express';

/**
 * Every route passes its permission guard with `req.route` and `req.baseUrl` set, so the guard
 * notes the template for the request histogram; afterwards the router has reset baseUrl.
 */
export function noteRouteTemplate(req: Request): void {
  if (req.route) req.routeTemplate = req.baseUrl + (req.route as { path: string }).path;
}

/** A route guard, carrying the permission-table action it checks (the route table is tested against it). */
export type Guard = RequestHandler & { readonly action: string };

export const namesAction = (action: string, guard: RequestHandler): Guard => Object.assign(guard, { action });
