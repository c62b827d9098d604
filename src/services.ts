import type session from 'express-session';
import { createPasswordAttempts } from './attempts/password-attempts.js';
import { createThrottle } from './attempts/throttle.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db.js';
import { createAccountService } from './features/account/account.service.js';
import { createActivityLog } from './features/activity/activity-log.service.js';
import { createActivityService } from './features/activity/activity.service.js';
import { createSignInService } from './features/auth/sign-in.service.js';
import { createTokenSigner } from './features/auth/token-signer.js';
import { createTokenService } from './features/auth/tokens.service.js';
import { readBackupStatus } from './features/backups/backup.status.js';
import { createContactsService } from './features/contacts/contacts.service.js';
import { createDashboardService } from './features/dashboard/dashboard.service.js';
import { createReadiness } from './features/health/readiness.js';
import { createMessagesService } from './features/messages/messages.service.js';
import { createUsersRepo } from './features/users/users.repo.js';
import { createUsersService } from './features/users/users.service.js';
import type { IdleTracker } from './http/idle-tracker.js';
import type { Logger } from './http/logger.js';
import { createMetrics } from './http/metrics.js';
import { createRefusalRecorder } from './http/refusals.js';

export interface ServiceDeps {
  config: Config;
  db: Db;
  /**
   * A second connection to the same file for contacts and message logs, at the data
   * durability level (NORMAL by default); security state stays on `db` (FULL).
   */
  dataDb?: Db;
  clock?: Clock;
}

export interface AppDeps extends ServiceDeps {
  sessionStore: session.Store;
  logger: Logger;
  /** Told of every request, so maintenance can tell when the service is idle. */
  idle?: IdleTracker;
}

/**
 * Every service, wired in one place: each factory takes one deps object, every clock is this
 * one. Storage is shared where it is one thing: the users repo (accounts, for sign-in, one's
 * own account and user management) and one activity log writer per connection.
 */
export function createServices(deps: ServiceDeps) {
  const { config, db } = deps;
  const clock = deps.clock ?? systemClock;
  const dataDb = deps.dataDb ?? db;
  const metrics = createMetrics({ backupStatus: () => readBackupStatus(config.backups.dir), clock });
  const activityLog = createActivityLog({ db, settings: config.activity, clock, observer: metrics });
  // Contacts and messages record their events through their own connection, inside their own transactions.
  const dataActivityLog = dataDb === db ? activityLog : createActivityLog({ db: dataDb, settings: config.activity, clock, observer: metrics });
  const accounts = createUsersRepo(db);

  const throttle = createThrottle({ db, settings: config.throttle, keySecret: config.sessionSecret, clock, onLockout: metrics.lockedOut });
  const attemptPassword = createPasswordAttempts({ throttle });
  const signIn = createSignInService({ db, accounts, attemptPassword, activityLog, clock });
  const signer = createTokenSigner({ secret: config.jwtSecret, clock });
  const tokens = createTokenService({ db, signIn, signer, activityLog, settings: config.tokens, clock });
  const account = createAccountService({ db, accounts, attemptPassword, activityLog, tokens, passwordRequireClasses: config.passwordRequireClasses, clock });
  const users = createUsersService({ db, repo: accounts, activityLog, tokens, passwordRequireClasses: config.passwordRequireClasses, clock });

  const contacts = createContactsService({ db: dataDb, team: users, activityLog: dataActivityLog, defaultCountry: config.defaultCountry, clock });
  const messages = createMessagesService({ db: dataDb, team: users, activityLog: dataActivityLog, quotas: config.quotas,
    defaultCountry: config.defaultCountry, clock });
  const activity = createActivityService({ db, activityLog, retentionDays: config.activity.retentionDays, clock });
  const dashboard = createDashboardService({ db, team: users, contacts, backups: config.backups, clock });
  const readiness = createReadiness({ db, clock, dataDir: config.dataDir, diskMinFreeBytes: config.diskMinFreeBytes });
  const refusals = createRefusalRecorder({ activityLog, clock });

  return { clock, metrics, accounts, throttle, signIn, tokens, account, users, contacts, messages, activity, dashboard, readiness, refusals };
}

export type Services = ReturnType<typeof createServices>;
