import { Router } from 'express';
import type { Db } from '../../db.js';
import { allow } from '../../http/panel-auth.js';
import type { Action } from '../../permissions.js';
import { createDashboardRepo } from './dashboard.repo.js';

// Sections whose pages later releases fill; each already has its permission.
const UPCOMING: Array<{ path: string; title: string; action: Action }> = [
  { path: '/contacts', title: 'Contacts', action: 'contacts.view' },
  { path: '/messages', title: 'Messages', action: 'messages.view' },
  { path: '/activity', title: 'Activity', action: 'activity.view' },
];

export function createDashboardRoutes(db: Db): Router {
  const router = Router();
  const repo = createDashboardRepo(db);

  router.get('/dashboard', allow('dashboard.view'), (_req, res) => {
    res.render('dashboard/index', { title: 'Dashboard', counts: repo.userCounts() });
  });

  for (const section of UPCOMING) {
    router.get(section.path, allow(section.action), (_req, res) => {
      res.render('dashboard/upcoming', { title: section.title });
    });
  }

  return router;
}
