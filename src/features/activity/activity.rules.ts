import type { ActivitySettings } from '../../config.js';
import type { FlagRule, Severity } from '../../domain/activity.js';
import type { ActivityRow } from './activity.chain.js';
import type { createRulesRepo } from './activity-rules.repo.js';

const MINUTE = 60_000;
const CRITICAL_ACTIONS = new Set(['user.terminate', 'user.role_change', 'token.refresh_reuse']);

/**
 * The anomaly rules, run on each activity row as it is written (same transaction). A rule that
 * watches a window raises at most one flag per subject per window, so a burst is one flag.
 */
export function createFlagRules(deps: { repo: ReturnType<typeof createRulesRepo>; settings: ActivitySettings; onFlag?: (rule: FlagRule) => void }) {
  const { repo, settings: s, onFlag } = deps;
  const localTime = new Intl.DateTimeFormat('en-CA', {
    timeZone: s.timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  });

  function raise(row: ActivityRow, rule: FlagRule, severity: Severity, summary: string, once?: { key: string; windowMs: number }) {
    if (once && repo.flaggedSince(rule, once.key, since(row, once.windowMs))) return;
    repo.insertFlag({ at: row.at, userId: row.user_id, rule, severity, summary, activityId: row.id, key: once?.key ?? null });
    onFlag?.(rule);
  }

  const since = (row: ActivityRow, ms: number) => new Date(Date.parse(row.at) - ms).toISOString();
  const who = (row: ActivityRow) => row.username ?? (row.user_id ? `user ${row.user_id}` : 'someone');

  function local(at: string) {
    const parts = Object.fromEntries(localTime.formatToParts(new Date(at)).map((p) => [p.type, p.value]));
    return { date: `${parts.year}-${parts.month}-${parts.day}`, minutes: Number(parts.hour) * 60 + Number(parts.minute), clock: `${parts.hour}:${parts.minute}` };
  }

  function touchesAdmin(row: ActivityRow): boolean {
    if (!row.detail) return false;
    const detail = JSON.parse(row.detail) as Record<string, unknown>;
    return detail.target_role === 'admin' || detail.role === 'admin';
  }

  function failedLogins(row: ActivityRow): void {
    if (row.user_id !== null) {
      const n = repo.failedLoginsOfUser(row.user_id, since(row, 10 * MINUTE));
      if (n >= s.failedLoginsPerAccount) {
        raise(row, 'failed_login_burst', 'high', `${n} failed sign-ins for ${who(row)} in 10 minutes`, { key: `user:${row.user_id}`, windowMs: 10 * MINUTE });
      }
    }
    if (row.ip) {
      const n = repo.failedLoginsFromIp(row.ip, since(row, 10 * MINUTE));
      if (n >= s.failedLoginsPerIp) {
        raise(row, 'failed_login_burst', 'high', `${n} failed sign-ins from ${row.ip} in 10 minutes`, { key: `ip:${row.ip}`, windowMs: 10 * MINUTE });
      }
    }
  }

  function evaluate(row: ActivityRow): void {
    if (row.action === 'login' && row.outcome === 'failure') failedLogins(row);
    if (row.user_id !== null && row.outcome === 'success') {
      const t = local(row.at);
      if (t.minutes < s.businessHours.start || t.minutes >= s.businessHours.end) {
        raise(row, 'off_hours', 'low', `${who(row)}: ${row.action} at ${t.clock} (${s.timeZone}), outside business hours`,
          { key: `user:${row.user_id}:${t.date}`, windowMs: 24 * 60 * MINUTE });
      }
    }
    if (row.user_id !== null) {
      const n = repo.actionsOfUser(row.user_id, since(row, MINUTE));
      if (n > s.actionsPerMinute) {
        raise(row, 'rapid_actions', 'medium', `${n} actions by ${who(row)} within a minute`, { key: `user:${row.user_id}`, windowMs: 10 * MINUTE });
      }
    }
    if (CRITICAL_ACTIONS.has(row.action) || (row.outcome === 'success' && row.target_type === 'user' && touchesAdmin(row))) {
      const target = row.target_id ? ` (user ${row.target_id})` : '';
      raise(row, 'critical_action', 'high', `${who(row)}: ${row.action}${target}`);
    }
    if (row.action === 'login' && row.outcome === 'success' && row.user_id !== null && row.ip) {
      const user = row.user_id;
      if (repo.signedInBefore(user, row.id) && !repo.signedInBefore(user, row.id, { ip: row.ip, since: since(row, s.newIpDays * 24 * 60 * MINUTE) })) {
        raise(row, 'new_ip', 'medium', `${who(row)} signed in from ${row.ip}, not seen for this account in ${s.newIpDays} days`);
      }
    }
  }

  return { evaluate };
}
