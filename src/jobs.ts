import type { Config } from './config.js';
import { truncateWal, type Db } from './db.js';
import { scheduledBackupJob } from './features/backups/backup.service.js';
import type { IdleTracker } from './http/idle-tracker.js';
import type { Logger } from './http/logger.js';
import type { SessionStore } from './http/session.js';
import type { Services } from './services.js';

export interface Job {
  name: string;
  everyMs: number;
  /** The first run comes this soon after start (default: after everyMs). */
  firstAfterMs?: number;
  run(): void | Promise<void>;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export interface JobsDeps {
  config: Config;
  db: Db;
  services: Services;
  sessionStore: SessionStore;
  idle: IdleTracker;
  logger: Logger;
}

/**
 * Every periodic task of the service, with its interval: the only writes that no request
 * makes. A page never writes to show itself (the dashboard reads what `roll-ups` keeps).
 */
export function serviceJobs(deps: JobsDeps): Job[] {
  const { config, services } = deps;
  const jobs: Job[] = [
    { name: 'purge-expired', everyMs: 10 * MINUTE, run: () => {
      services.throttle.purgeIdle();
      services.tokens.purgeExpired();
      services.messages.purgeIdempotencyKeys();
    } },
    { name: 'activity-retention', everyMs: 10 * MINUTE, run: () => void services.activity.applyRetention() },
    { name: 'search-index-merge', everyMs: 10 * MINUTE, run: () => services.contacts.tidySearchIndex() },
    // Soon after start too: until a finished day is rolled up the dashboard counts it row by row.
    { name: 'roll-ups', everyMs: 10 * MINUTE, firstAfterMs: 5 * SECOND, run: () => void services.dashboard.rollUpFinishedDays() },
    // The session store's own purge runs once a day; expired sessions go within five minutes instead.
    { name: 'session-cleanup', everyMs: 5 * MINUTE, run: async () => void await deps.sessionStore.purgeExpired() },
    // Anonymous refusals are counted per minute; each minute's count is written once it is over.
    { name: 'refusal-counts', everyMs: MINUTE, run: () => services.refusals.flush() },
    { name: 'wal-checkpoint', everyMs: 30 * SECOND, run: () => {
      if (deps.idle.idleFor(5 * SECOND)) truncateWal(deps.db);
    } },
  ];
  if (config.backups.intervalHours > 0) {
    jobs.push(scheduledBackupJob({
      options: { dataDir: config.dataDir, backupDir: config.backups.dir, keep: config.backups.keep,
        secrets: { jwtSecret: config.jwtSecret, sessionSecret: config.sessionSecret } },
      intervalHours: config.backups.intervalHours, clock: services.clock,
      onDone: (made) => deps.logger.info('backup made', { backup: made.name, durationMs: made.durationMs }),
    }));
  }
  return jobs;
}

/**
 * Runs each job on its own interval (unref'd: jobs never keep the process alive). A job that
 * throws is logged and runs again at its next turn; one still running is not started twice.
 */
export function startJobs(jobs: Job[], logger: Logger): { stop(): void } {
  const timers = jobs.flatMap((job) => {
    let running = false;
    const turn = async () => {
      if (running) return;
      running = true;
      try {
        await job.run();
      } catch (err) {
        logger.error('maintenance job failed', { job: job.name, error: (err as Error)?.message ?? String(err) });
      } finally {
        running = false;
      }
    };
    const timer = setInterval(() => void turn(), job.everyMs).unref();
    const first = job.firstAfterMs === undefined ? [] : [setTimeout(() => void turn(), job.firstAfterMs).unref()];
    return [timer, ...first];
  });
  return { stop: () => timers.forEach((t) => clearTimeout(t)) };
}
