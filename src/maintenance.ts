import type { Logger } from './http/logger.js';

export interface Job {
  name: string;
  everyMs: number;
  /** The first run comes this soon after start (default: after everyMs). */
  firstAfterMs?: number;
  run(): void | Promise<void>;
}

/**
 * Runs each job on its own interval (unref'd: jobs never keep the process alive). A job that
 * throws is logged and runs again at its next turn; one still running is not started twice.
 */
export function startMaintenance(jobs: Job[], logger: Logger): { stop(): void } {
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
    const timer = setInterval(turn, job.everyMs).unref();
    const first = job.firstAfterMs === undefined ? [] : [setTimeout(turn, job.firstAfterMs).unref()];
    return [timer, ...first];
  });
  return { stop: () => timers.forEach((t) => clearTimeout(t)) };
}
