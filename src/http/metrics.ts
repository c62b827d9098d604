import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Request, Response } from 'express';

/** An activity row as far as metrics need it: what happened, and the channel/reason of a sign-in. */
export interface ObservedEvent {
  action: string;
  outcome: string;
  detail?: Record<string, string | number | boolean | null>;
}

export type ValidateResult = 'valid' | 'invalid' | 'expired' | 'missing' | 'password_change_required';

/** The part of the backups' status the gauges show. */
export interface BackupOutcome {
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
}

export interface MetricsOptions {
  /** Reads the backup directory's status; without it there are no backup gauges. */
  backupStatus?: () => BackupOutcome;
  clock?: () => number;
}

const SIGN_IN_OUTCOME: Record<string, string> = { throttled: 'throttled', role: 'forbidden' };

/**
 * The service's Prometheus metrics, in a registry of their own (never prom-client's global one:
 * a test process builds many apps). Labels take values from short fixed lists or route
 * templates only, so the number of series stays bounded whatever clients send.
 */
export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const duration = new Histogram({
    name: 'nexus_http_request_duration_seconds', help: 'Time to answer a request, by method, route template and status',
    labelNames: ['method', 'route', 'status'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const signIns = counter('nexus_sign_ins_total', 'Sign-in attempts by channel (panel, api) and outcome', ['channel', 'outcome']);
  const lockouts = counter('nexus_lockouts_total', 'Sign-in locks engaged, by scope (account, ip)', ['scope']);
  const limited = counter('nexus_rate_limited_total', 'Requests answered 429, by the limiter that refused them', ['limiter']);
  const validations = counter('nexus_token_validations_total', 'POST /auth/validate answers by result', ['result']);
  const reuse = counter('nexus_refresh_reuse_total', 'Refresh tokens presented again after use (the login is revoked)');
  const flags = counter('nexus_flags_total', 'Anomaly flags raised, by rule', ['rule']);
  const quota = counter('nexus_message_quota_refusals_total', 'Message logs refused by a sending quota');
  if (options.backupStatus) backupGauges(registry, options.backupStatus, options.clock ?? Date.now);

  return {
    registry,
    /** Called when a response has gone out: its duration, and a 429's limiter. */
    observeRequest(req: Request, res: Response, seconds: number, route: string | null): void {
      duration.observe({ method: METHODS.has(req.method) ? req.method : 'OTHER', route: route ?? 'unmatched', status: String(res.statusCode) }, seconds);
      if (res.statusCode === 429) limited.inc({ limiter: String(res.locals.limiter ?? 'other') });
    },
    /** Counts what the activity log records; called for each row written. */
    recorded(event: ObservedEvent): void {
      if (event.action === 'login') {
        const reason = typeof event.detail?.reason === 'string' ? event.detail.reason : '';
        const outcome = event.outcome === 'denied' ? SIGN_IN_OUTCOME[reason] ?? 'denied' : event.outcome;
        signIns.inc({ channel: event.detail?.channel === 'panel' ? 'panel' : 'api', outcome });
      } else if (event.action === 'token.refresh_reuse') reuse.inc();
      else if (event.action === 'message.quota_refused') quota.inc();
    },
    flagged: (rule: string) => flags.inc({ rule }),
    lockedOut: (scope: string) => lockouts.inc({ scope }),
    validated: (result: ValidateResult) => validations.inc({ result }),
  };
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

function backupGauges(registry: Registry, read: () => BackupOutcome, clock: () => number): void {
  let status: BackupOutcome | null = null;
  // Both gauges are read in one scrape; the directory is read once for it.
  const current = () => (status ??= read());
  new Gauge({
    name: 'nexus_backup_last_success_age_seconds', help: 'Seconds since the last successful backup (NaN: none yet)',
    registers: [registry],
    collect() {
      const at = current().lastSuccessAt;
      // An unlabelled gauge cannot be absent (prom-client reports 0), and 0 would read as fresh.
      this.set(at ? Math.max(0, (clock() - Date.parse(at)) / 1000) : Number.NaN);
    },
  });
  new Gauge({
    name: 'nexus_backup_last_result', help: 'Result of the last backup: 1 success, 0 failure (NaN: none yet)',
    registers: [registry],
    collect() {
      const s = current();
      status = null;
      if (!s.lastSuccessAt && !s.lastFailureAt) return this.set(Number.NaN);
      const failedLast = s.lastFailureAt !== null && (s.lastSuccessAt === null || s.lastFailureAt > s.lastSuccessAt);
      this.set(failedLast ? 0 : 1);
    },
  });
}

export type Metrics = ReturnType<typeof createMetrics>;
