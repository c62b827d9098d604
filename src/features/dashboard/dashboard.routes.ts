import { Router } from 'express';
import type { Config } from '../../config.js';
import type { Db } from '../../db.js';
import { actorFromSession, allow } from '../../http/panel-auth.js';
import { dataScope } from '../../domain/permissions.js';
import { FLAG_RULES } from '../activity/activity.rules.js';
import type { ContactsService } from '../contacts/contacts.service.js';
import type { TeamLookup } from '../../domain/account.js';
import { backupSummary } from './backup-summary.js';
import { barChart, lastDays } from './charts.js';
import { createDashboardRepo } from './dashboard.repo.js';

const DAYS = 30;
const byDay = (rows: Array<{ day: string; n: number }>) => new Map(rows.map((r) => [r.day, r.n]));
const sumSince = (perDay: Map<string, number>, days: string[]) => days.reduce((sum, d) => sum + (perDay.get(d) ?? 0), 0);

export function createDashboardRoutes(deps: { config: Config; db: Db; contacts: ContactsService; users: { repo: TeamLookup } }): Router {
  const router = Router();
  const repo = createDashboardRepo(deps.db);

  router.get('/dashboard', allow('dashboard.view'), (req, res) => {
    const actor = actorFromSession(req);
    const scope = dataScope(actor, deps.users.repo.workerIdsCreatedBy);
    const days = lastDays(new Date(), DAYS);
    const from = days[0]!;
    const today = days[DAYS - 1]!;
    repo.rollUpMessages(days.slice(0, -1));
    const messages = byDay(repo.messagesByDay(scope, from, today));
    const logins = repo.loginsByDay(scope, from);
    const loginSeries = (outcome: string) => byDay(logins.filter((l) => l.outcome === outcome));
    const successes = loginSeries('success');
    const failures = loginSeries('failure');
    const flagCounts = new Map(repo.flagsByRule(scope, `${from}T00:00:00.000Z`).map((f) => [f.rule, f.n]));
    const shortDay = (d: string) => d.slice(5).replace('-', '/');

    res.render('dashboard/index', {
      title: 'Dashboard',
      teamOnly: scope !== null,
      counts: repo.userCounts(scope),
      contacts: deps.contacts.total(actor),
      messagesToday: messages.get(today) ?? 0,
      messagesWeek: sumSince(messages, days.slice(-7)),
      failedLoginsToday: failures.get(today) ?? 0,
      openFlags: repo.openFlags(scope),
      recentFlags: repo.recentFlags(scope),
      topSenders: repo.topSenders(scope, days[DAYS - 7]!, today),
      // Backups concern the whole service: admins only.
      backup: actor.role === 'admin' ? backupSummary(deps.config.backups, new Date()) : null,
      charts: [
        barChart('messages', `Messages per day, last ${DAYS} days (UTC)`, days,
          [{ name: 'Messages', style: 'primary', values: days.map((d) => messages.get(d) ?? 0) }], 5, shortDay),
        barChart('logins', `Sign-ins per day, last ${DAYS} days`, days, [
          { name: 'Successful', style: 'success', values: days.map((d) => successes.get(d) ?? 0) },
          { name: 'Failed', style: 'failure', values: days.map((d) => failures.get(d) ?? 0) },
        ], 5, shortDay),
        barChart('flags', `Flags by rule, last ${DAYS} days`, [...FLAG_RULES],
          [{ name: 'Flags', style: 'primary', values: FLAG_RULES.map((r) => flagCounts.get(r) ?? 0) }], 1, (r) => r.replace(/_/g, ' ')),
      ],
    });
  });

  return router;
}
