import type { CsvFile } from '../../http/csv.js';
import type { Flag } from './activity-flags.repo.js';
import type { ActivityEntry } from './activity.repo.js';

/** An activity row in the API's contract (snake_case, detail as an object). */
export const eventJson = (e: ActivityEntry) => ({
  id: e.id, at: e.at, user_id: e.userId, username: e.username, action: e.action, target_type: e.targetType, target_id: e.targetId,
  ip: e.ip, user_agent: e.userAgent, outcome: e.outcome, detail: e.detail ? (JSON.parse(e.detail) as unknown) : null,
});

/** A flag in the API's contract: the original fields, then who or what it is about, why, the rows behind it and its acknowledgement. */
export const flagJson = (f: Flag) => ({
  id: f.id, at: f.at, user_id: f.userId, rule: f.rule, severity: f.severity, summary: f.summary, activity_id: f.activityId,
  acknowledged_at: f.acknowledgedAt,
  username: f.username, ip: f.ip, reason: f.reason, event_ids: f.eventIds,
  acknowledged_by: f.acknowledgedBy, acknowledged_by_username: f.acknowledgedByName, note: f.note,
});

/** The console's CSV export (detail as its stored JSON text). */
export const eventsCsv: CsvFile<ActivityEntry> = {
  filename: 'activity.csv',
  columns: ['id', 'at', 'user_id', 'username', 'action', 'target_type', 'target_id', 'ip', 'user_agent', 'outcome', 'detail'],
  cells: (e) => [e.id, e.at, e.userId, e.username, e.action, e.targetType, e.targetId, e.ip, e.userAgent, e.outcome, e.detail],
};
