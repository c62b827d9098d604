import { Router } from 'express';
import type { Db } from '../../db.js';
import { actorFromSession, allow } from '../../http/panel-auth.js';
import type { Action } from '../../permissions.js';
import type { ContactsService } from '../contacts/contacts.service.js';
import type { MessagesService } from '../messages/messages.service.js';
import { createDashboardRepo } from './dashboard.repo.js';

// Sections whose pages later releases fill; each already has its permission.
const UPCOMING: Array<{ path: string; title: string; action: Action }> = [
  { path: '/activity', title: 'Activity', action: 'activity.view' },
];

const startOfDayUtc = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));

export function createDashboardRoutes(deps: { db: Db; contacts: ContactsService; messages: MessagesService }): Router {
  const router = Router();
  const repo = createDashboardRepo(deps.db);

  router.get('/dashboard', allow('dashboard.view'), (req, res) => {
    const actor = actorFromSession(req);
    const today = startOfDayUtc(new Date());
    const weekAgo = new Date(today.getTime() - 6 * 86_400_000);
    res.render('dashboard/index', {
      title: 'Dashboard',
      counts: repo.userCounts(),
      contacts: deps.contacts.total(actor),
      messagesToday: deps.messages.total(actor, { from: today.toISOString() }),
      messagesWeek: deps.messages.total(actor, { from: weekAgo.toISOString() }),
    });
  });

  for (const section of UPCOMING) {
    router.get(section.path, allow(section.action), (_req, res) => {
      res.render('dashboard/upcoming', { title: section.title });
    });
  }

  return router;
}
