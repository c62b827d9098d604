import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../durable-files.js';

export interface BackupStatus {
  lastSuccessAt: string | null;
  lastSuccessName: string | null;
  lastDurationMs: number | null;
  lastFailureAt: string | null;
  /** One line, with the data and backup paths replaced: safe for pages, logs and metrics. */
  lastError: string | null;
}

const EMPTY: BackupStatus = { lastSuccessAt: null, lastSuccessName: null, lastDurationMs: null, lastFailureAt: null, lastError: null };
export const STATUS_FILE = 'status.json';

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The last backup success and failure recorded in `dir`; all null when none was ever made. */
export function readBackupStatus(dir: string): BackupStatus {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(dir, STATUS_FILE), 'utf8')) as Record<string, unknown>;
    return {
      lastSuccessAt: text(raw.lastSuccessAt), lastSuccessName: text(raw.lastSuccessName),
      lastDurationMs: typeof raw.lastDurationMs === 'number' ? raw.lastDurationMs : null,
      lastFailureAt: text(raw.lastFailureAt), lastError: text(raw.lastError),
    };
  } catch {
    return { ...EMPTY };
  }
}

export function recordSuccess(dir: string, at: Date, name: string, durationMs: number): void {
  writeFileAtomic(path.join(dir, STATUS_FILE),
    JSON.stringify({ ...readBackupStatus(dir), lastSuccessAt: at.toISOString(), lastSuccessName: name, lastDurationMs: durationMs }, null, 2));
}

export function recordFailure(dir: string, at: Date, reason: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomic(path.join(dir, STATUS_FILE),
    JSON.stringify({ ...readBackupStatus(dir), lastFailureAt: at.toISOString(), lastError: reason }, null, 2));
}

/**
 * Whether the dashboard should warn: the last attempt failed, or (with scheduled backups) the
 * last success is missing or older than twice the interval.
 */
export function backupNeedsAttention(status: BackupStatus, intervalHours: number, now: Date): boolean {
  const success = status.lastSuccessAt ? Date.parse(status.lastSuccessAt) : null;
  if (status.lastFailureAt && (success === null || Date.parse(status.lastFailureAt) > success)) return true;
  // None yet with a schedule: the first one is made a minute after start.
  if (intervalHours <= 0 || success === null) return false;
  return now.getTime() - success > 2 * intervalHours * 3_600_000;
}
