import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Db } from '../../db.js';
import type { TeamLookup } from '../../domain/account.js';
import { FLAG_RULES } from '../../domain/activity.js';
import { allows, dataScope } from '../../domain/permissions.js';
import type { ActorContext } from '../../domain/principal.js';
import { backupSummary } from '../backups/backup.service.js';
import type { ContactsService } from '../contacts/contacts.service.js';
import { barChart, lastDays } from './charts.js';
import { createDashboardRepo } from './dashboard.repo.js';

const DAYS = 30;
const byDay = (rows: Array<{ day: string; n: number }>) => new Map(rows.map((r) => [r.day, r.n]));
const sumOver = (perDay: Map<string, number>, days: string[]) => days.reduce((sum, d) => sum + (perDay.get(d) ?? 0), 0);
const shortDay = (d: string) => d.slice(5).replace('-', '/');

export interface DashboardServiceDeps {
  db: Db;
  team: TeamLookup;
  contacts: Pick<ContactsService, 'total'>;
  backups: Config['backups'];
  clock: Clock;
}

/** The dashboard's numbers and charts for an actor, within what the actor may see. Reading it writes nothing. */
export function createDashboardService(deps: DashboardServiceDeps) {
  const repo = createDashboardRepo(deps.db);
  const lastMonth = () => lastDays(new Date(deps.clock()), DAYS);

  /** The first of these days whose messages are not rolled up yet (today at the latest). */
  function firstLiveDay(days: string[]): string {
    const today = days[days.length - 1]!;
    const rolled = repo.rolledUpDays(days[0]!, today);
    return days.find((d) => d === today || !rolled.has(d))!;
  }

  function overview(actor: ActorContext) {
    const scope = dataScope(actor, (managerId) => deps.team.workerIdsCreatedBy(managerId));
    const days = lastMonth();
    const from = days[0]!;
    const today = days[DAYS - 1]!;
    const liveFrom = firstLiveDay(days);
    const messages = byDay(repo.messagesByDay(scope, from, liveFrom));
    const logins = repo.loginsByDay(scope, from);
    const loginSeries = (outcome: string) => byDay(logins.filter((l) => l.outcome === outcome));
    const successes = loginSeries('success');
    const failures = loginSeries('failure');
    const flagCounts = new Map(repo.flagsByRule(scope, `${from}T00:00:00.000Z`).map((f) => [f.rule, f.n]));
    const weekFrom = days[DAYS - 7]!;
    return {
      teamOnly: scope !== null,
      counts: repo.userCounts(scope),
      contacts: deps.contacts.total(actor),
      messagesToday: messages.get(today) ?? 0,
      messagesWeek: sumOver(messages, days.slice(-7)),
      failedLoginsToday: failures.get(today) ?? 0,
      openFlags: repo.openFlags(scope),
      recentFlags: repo.recentFlags(scope),
      topSenders: repo.topSenders(scope, weekFrom, liveFrom > weekFrom ? liveFrom : weekFrom),
      backup: allows(actor, 'backups.view') ? backupSummary(deps.backups, deps.clock()) : null,
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
    };
  }

  /** Rolls the finished days of the last month into the daily table (the roll-up job). */
  const rollUpFinishedDays = () => repo.rollUpMessages(lastMonth().slice(0, -1));

  return { overview, rollUpFinishedDays };
}

export type DashboardService = ReturnType<typeof createDashboardService>;
