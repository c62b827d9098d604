import { Router } from 'express';
import { actorFromSession, allow } from '../../http/panel-auth.js';
import type { DashboardService } from './dashboard.service.js';

export function createDashboardRoutes(deps: { dashboard: DashboardService }): Router {
  const router = Router();

  router.get('/dashboard', allow('dashboard.view'), (req, res) => {
    res.render('dashboard/index', { title: 'Dashboard', ...deps.dashboard.overview(actorFromSession(req)) });
  });

  return router;
}
