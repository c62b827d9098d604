import type { CsvFile } from '../../http/csv.js';
import type { ActivityEntry, Flag } from './activity.repo.js';

/** An activity row in the API's contract (snake_case, detail as an object). */
export const eventJson = (e: ActivityEntry) => ({
  id: e.id, at: e.at, user_id: e.userId, username: e.username, action: e.action, target_type: e.targetType, target_id: e.targetId,
  ip: e.ip, user_agent: e.userAgent, outcome: e.outcome, detail: e.detail ? (JSON.parse(e.detail) as unknown) : null,
});

export const flagJson = (f: Flag) => ({
  id: f.id, at: f.at, user_id: f.userId, rule: f.rule, severity: f.severity, summary: f.summary, activity_id: f.activityId,
  acknowledged_at: f.acknowledgedAt,
});

/** The console's CSV export (detail as its stored JSON text). */
export const eventsCsv: CsvFile<ActivityEntry> = {
  filename: 'activity.csv',
  columns: ['id', 'at', 'user_id', 'username', 'action', 'target_type', 'target_id', 'ip', 'user_agent', 'outcome', 'detail'],
  cells: (e) => [e.id, e.at, e.userId, e.username, e.action, e.targetType, e.targetId, e.ip, e.userAgent, e.outcome, e.detail],
};
