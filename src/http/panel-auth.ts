import { namesAction, noteRouteTemplate } from './route-guard.js';
import type { Request, RequestHandler } from 'express';
import type { ActorContext } from '../domain/principal.js';
import { audienceOf, can, type Action } from '../domain/permissions.js';
import type { Clock } from '../clock.js';
import type { AccountLookup } from '../domain/account.js';
import { Forbidden } from '../errors.js';
import { addFlash } from './flash.js';
import { sessionRef } from './refusals.js';
import { regenerateSession } from './session.js';

/**
 * Resolves the session's user on every request, so termination, a password change or a role
 * change ends a panel session at once; also enforces the absolute session lifetime.
 */
export function loadPanelUser(deps: { accounts: AccountLookup; absoluteHours: number; clock: Clock }): RequestHandler {
  const { accounts, absoluteHours, clock } = deps;
  return async (req, res, next) => {
    const { userId, credentialVersion, authenticatedAt } = req.session;
    if (userId === undefined) return next();
    const user = accounts.findById(userId);
    const tooOld = clock() - (authenticatedAt ?? 0) > absoluteHours * 3_600_000;
    if (!user || !user.isActive || user.credentialVersion !== credentialVersion || tooOld || !can(user, 'panel.enter')) {
      await regenerateSession(req);
      addFlash(req, 'info', 'Your session has ended. Please sign in again.');
      return next();
    }
    req.currentUser = user;
    res.locals.currentUser = user;
    next();
  };
}

/** Until a forced password change is done, every page leads to it. */
export const requirePasswordChange: RequestHandler = (req, res, next) => {
  if (req.currentUser?.mustChangePassword && req.path !== '/account/password' && req.path !== '/logout') {
    return res.redirect(303, '/account/password');
  }
  next();
};

/** The route guard: the action must be in the permission table, and the user allowed it. */
export function allow(action: Action): RequestHandler {
  const audience = audienceOf(action);
  return namesAction(action, (req, res, next) => {
    noteRouteTemplate(req);
    if (audience === 'anyone') return next();
    if (!req.currentUser) return res.redirect(303, '/login');
    if (!can(req.currentUser, action)) throw new Forbidden('You do not have permission to do that.');
    next();
  });
}

/** The signed-in panel user as the actor of a change, with where the request came from. */
export function actorFromSession(req: Request): ActorContext {
  const u = req.currentUser!;
  return { id: u.id, username: u.username, role: u.role, isOwner: u.isOwner, loginRef: sessionRef(req), channel: 'panel',
    ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null };
}
