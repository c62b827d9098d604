import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { systemClock, type Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { BackupOptions } from './backup.create.js';
import { oneLine } from './backup.files.js';
import { backupNeedsAttention, readBackupStatus, recordFailure, type BackupStatus } from './backup.status.js';

export interface BackupSummary extends BackupStatus {
  intervalHours: number;
  attention: boolean;
}

/** The backup state an admin sees on the dashboard: last success, last failure, warn or not. */
export function backupSummary(backups: Config['backups'], now: number): BackupSummary {
  const status = readBackupStatus(backups.dir);
  return { ...status, intervalHours: backups.intervalHours, attention: backupNeedsAttention(status, backups.intervalHours, new Date(now)) };
}

export type WorkerResult = { ok: true; name: string; durationMs: number } | { ok: false; error: string };

// The worker's file sits beside this one, as .ts under tsx (tests) and .js once compiled.
// Worker threads do not inherit tsx's loader, so the .ts one is started through tsx's API.
function startWorker(workerData: BackupOptions): Worker {
  const self = fileURLToPath(import.meta.url);
  const file = path.join(path.dirname(self), `backup.worker${path.extname(self)}`);
  if (file.endsWith('.js')) return new Worker(file, { workerData });
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(pathToFileURL(file).href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

/** Makes one backup on a worker thread; resolves with its name, rejects with a one-line reason. */
export function backupInWorker(options: BackupOptions, clock: Clock = systemClock): Promise<{ name: string; durationMs: number }> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(options);
    let settled = false;
    worker.once('message', (result: WorkerResult) => {
      settled = true;
      if (result.ok) resolve({ name: result.name, durationMs: result.durationMs });
      else reject(new Error(result.error));
    });
    // A worker that dies before answering did not record its failure itself.
    const died = (reason: string) => {
      if (settled) return;
      settled = true;
      const line = oneLine(new Error(reason), [options.dataDir, options.backupDir]);
      try {
        recordFailure(options.backupDir, new Date(clock()), line);
      } catch {
        // Reported through the rejection below.
      }
      reject(new Error(line));
    };
    worker.once('error', (err) => died(`backup worker failed: ${err.message}`));
    worker.once('exit', (code) => died(`backup worker exited with code ${code}`));
  });
}

const HOUR_MS = 3_600_000;

/**
 * The maintenance job for BACKUP_INTERVAL_HOURS: it looks at least hourly and backs up when the
 * last success (from status.json) is older than the interval, so restarts do not postpone
 * backups and intervals longer than a timer can hold (~24 days) still work.
 */
const FIRST_CHECK_MS = 60_000;

export interface BackupJobDeps {
  options: BackupOptions;
  intervalHours: number;
  clock: Clock;
  onDone: (made: { name: string; durationMs: number }) => void;
}

export function scheduledBackupJob(deps: BackupJobDeps) {
  const { options, clock } = deps;
  const intervalMs = deps.intervalHours * HOUR_MS;
  return {
    name: 'backup',
    everyMs: Math.max(1_000, Math.min(intervalMs, HOUR_MS)),
    // Soon after start, so a service restarted more often than hourly still gets its backups.
    firstAfterMs: Math.max(1_000, Math.min(intervalMs, FIRST_CHECK_MS)),
    run: async () => {
      const last = readBackupStatus(options.backupDir).lastSuccessAt;
      if (last && clock() - Date.parse(last) < intervalMs) return;
      deps.onDone(await backupInWorker(options, clock));
    },
  };
}
