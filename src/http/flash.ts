import type { Request, RequestHandler } from 'express';
import type { Flash } from '../types/express.js';

export function addFlash(req: Request, type: Flash['type'], message: string): void {
  req.session.flash = [...(req.session.flash ?? []), { type, message }];
}

/**
 * Exposes queued flash messages to views, consuming them only when a page is actually
 * rendered, so they survive redirects (Post/Redirect/Get).
 */
export const exposeFlash: RequestHandler = (req, res, next) => {
  Object.defineProperty(res.locals, 'flash', {
    enumerable: true,
    get: () => {
      const messages = req.session?.flash ?? [];
      if (req.session?.flash) delete req.session.flash;
      return messages;
    },
  });
  next();
};
