import type { Config } from '../../config.js';
import { backupNeedsAttention, readBackupStatus, type BackupStatus } from '../backups/backup.status.js';

export interface BackupSummary extends BackupStatus {
  intervalHours: number;
  attention: boolean;
}

/** The backup state an admin sees on the dashboard: last success, last failure, warn or not. */
export function backupSummary(backups: Config['backups'], now: Date): BackupSummary {
  const status = readBackupStatus(backups.dir);
  return { ...status, intervalHours: backups.intervalHours, attention: backupNeedsAttention(status, backups.intervalHours, now) };
}
