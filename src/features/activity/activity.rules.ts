import type { ActivitySettings } from '../../config.js';
import type { FlagRule } from '../../domain/activity.js';
import type { ActivityRow } from './activity.chain.js';
import type { Burst, createRulesRepo } from './activity-rules.repo.js';

const MINUTE = 60_000;
const BURST_WINDOW = 10 * MINUTE;

/** What a rule says about what it saw: in a line, why it matters, and whom it is about (the row's user unless said). */
interface Finding {
  summary: string;
  reason: string;
  userId?: number | null;
  ip?: string | null;
  /** The rows the rule counted, linked to the flag (and, while its window lasts, the rows that repeat it). */
  burst?: { of: Burst; since: string };
}

/**
 * The anomaly rules, run on each activity row as it is written (same transaction). A rule that
 * watches a window raises at most one flag per subject per window, so a burst is one flag. Each
 * rule's severity comes from the settings (FLAG_SEVERITY). What is expected raises nothing: the
 * first owner created at the first start or by the operator, and an account's creator
 * terminating a worker account they made minutes ago (a mistake undone); role changes and
 * anything touching an admin are always flagged.
 */
export function createFlagRules(deps: { repo: ReturnType<typeof createRulesRepo>; settings: ActivitySettings; onFlag?: (rule: FlagRule) => void }) {
  const { repo, settings: s, onFlag } = deps;
  const localTime = new Intl.DateTimeFormat('en-CA', {
    timeZone: s.timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  });
  const since = (row: ActivityRow, ms: number) => new Date(Date.parse(row.at) - ms).toISOString();
  const who = (row: ActivityRow) => row.username ?? (row.user_id ? `user ${row.user_id}` : 'someone');
  const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

  function raise(row: ActivityRow, rule: FlagRule, finding: Finding, once?: { key: string; windowMs: number }) {
    const earlier = once ? repo.flaggedSince(rule, once.key, since(row, once.windowMs)) : null;
    if (earlier !== null) {
      if (finding.burst) repo.linkEvent(earlier, row.id);
      return;
    }
    const id = repo.insertFlag({
      at: row.at, userId: finding.userId === undefined ? row.user_id : finding.userId, ip: finding.ip ?? null, rule,
      severity: s.severity[rule], summary: finding.summary, reason: finding.reason, activityId: row.id, key: once?.key ?? null,
    });
    if (finding.burst) repo.linkBurst(id, finding.burst.of, finding.burst.since);
    onFlag?.(rule);
  }

  function local(at: string) {
    const parts = Object.fromEntries(localTime.formatToParts(new Date(at)).map((p) => [p.type, p.value]));
    return { date: `${parts.year}-${parts.month}-${parts.day}`, minutes: Number(parts.hour) * 60 + Number(parts.minute), clock: `${parts.hour}:${parts.minute}` };
  }

  const detailOf = (row: ActivityRow): Record<string, unknown> => (row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : {});

  function failedLogins(row: ActivityRow): void {
    const windowStart = since(row, BURST_WINDOW);
    if (row.user_id !== null) {
      const of: Burst = { kind: 'account_failures', user: row.user_id };
      const n = repo.countBurst(of, windowStart);
      if (n >= s.failedLoginsPerAccount) {
        raise(row, 'failed_login_burst', { summary: `${n} failed sign-ins for ${who(row)} in 10 minutes`,
          reason: 'Repeated failed sign-ins for one account: someone may be guessing its password.', burst: { of, since: windowStart } },
        { key: `user:${row.user_id}`, windowMs: BURST_WINDOW });
      }
    }
    if (row.ip) {
      const of: Burst = { kind: 'ip_failures', ip: row.ip };
      const n = repo.countBurst(of, windowStart);
      if (n >= s.failedLoginsPerIp) {
        raise(row, 'ip_login_burst', { summary: `${n} failed sign-ins from ${row.ip} in 10 minutes`, userId: null, ip: row.ip,
          reason: 'Many failed sign-ins from one address, whatever accounts they named: password guessing from this IP.', burst: { of, since: windowStart } },
        { key: `ip:${row.ip}`, windowMs: BURST_WINDOW });
      }
    }
  }

  function offHours(row: ActivityRow, user: number): void {
    const t = local(row.at);
    if (t.minutes >= s.businessHours.start && t.minutes < s.businessHours.end) return;
    raise(row, 'off_hours', { summary: `${who(row)}: ${row.action} at ${t.clock} (${s.timeZone}), outside business hours`,
      reason: `Activity outside business hours (${hhmm(s.businessHours.start)}–${hhmm(s.businessHours.end)} ${s.timeZone}); once per user per day.` },
    { key: `user:${user}:${t.date}`, windowMs: 24 * 60 * MINUTE });
  }

  function rapidActions(row: ActivityRow, user: number): void {
    const of: Burst = { kind: 'actions', user };
    const windowStart = since(row, MINUTE);
    const n = repo.countBurst(of, windowStart);
    if (n <= s.actionsPerMinute) return;
    raise(row, 'rapid_actions', { summary: `${n} actions by ${who(row)} within a minute`, burst: { of, since: windowStart },
      reason: 'More actions in a minute than a person usually makes: a script, or a stolen session?' },
    { key: `user:${user}`, windowMs: BURST_WINDOW });
  }

  /** Why a change to an account is worth a look, or null when it is routine. */
  function criticalReason(row: ActivityRow): string | null {
    if (row.action === 'user.role_change') return 'Role changes are always flagged.';
    if (row.outcome !== 'success' || row.target_type !== 'user') return null;
    const detail = detailOf(row);
    if (detail.target_role === 'admin' || detail.role === 'admin') {
      const firstOwner = row.action === 'user.create' && row.user_id === null && detail.owner === true;
      return firstOwner ? null : 'It touches an admin account.';
    }
    if (row.action !== 'user.terminate') return null;
    const undone = s.freshAccountMinutes > 0 && row.user_id !== null && row.target_id !== null && detail.target_role === 'worker'
      && repo.createdSince(row.user_id, row.target_id, since(row, s.freshAccountMinutes * MINUTE));
    return undone ? null : `Terminations are flagged, unless a worker account's creator ends it within ${s.freshAccountMinutes} minutes.`;
  }

  function newIp(row: ActivityRow, user: number, ip: string): void {
    if (!repo.signedInBefore(user, row.id) || repo.signedInBefore(user, row.id, { ip, since: since(row, s.newIpDays * 24 * 60 * MINUTE) })) return;
    raise(row, 'new_ip', { summary: `${who(row)} signed in from ${ip}, not seen for this account in ${s.newIpDays} days`, ip,
      reason: `A sign-in from an address this account has not used in ${s.newIpDays} days.` });
  }

  function evaluate(row: ActivityRow): void {
    if (row.action === 'login' && row.outcome === 'failure') failedLogins(row);
    if (row.user_id !== null) {
      if (row.outcome === 'success') offHours(row, row.user_id);
      rapidActions(row, row.user_id);
    }
    if (row.action === 'token.refresh_reuse') {
      raise(row, 'refresh_reuse', { summary: `${who(row)}: a spent refresh token was presented again; that login was revoked`,
        ip: row.ip, reason: 'A refresh token was used twice: it may have been copied or stolen.' });
    }
    const critical = criticalReason(row);
    if (critical) raise(row, 'critical_action', { summary: `${who(row)}: ${row.action}${row.target_id ? ` (user ${row.target_id})` : ''}`, reason: critical });
    if (row.action === 'login' && row.outcome === 'success' && row.user_id !== null && row.ip) newIp(row, row.user_id, row.ip);
  }

  return { evaluate };
}
