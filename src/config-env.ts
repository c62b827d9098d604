import { z } from 'zod';
import { DEFAULT_FLAG_SEVERITY, FLAG_RULES, SEVERITIES, type FlagRule, type Severity } from './domain/activity.js';

// The environment variables and how each is read; src/config.ts turns them into a Config.
const bool = (fallback: boolean) =>
  z.enum(['true', 'false', '1', '0', 'yes', 'no']).default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);
const optionalText = z.string().trim().transform((v) => (v === '' ? undefined : v)).optional();

const origins = z.string().transform((value, ctx) => {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  const parsed: string[] = [];
  for (const item of list) {
    try {
      const url = new URL(item);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
      parsed.push(url.origin);
    } catch {
      ctx.addIssue({ code: 'custom', message: `"${item}" is not an http(s) URL` });
    }
  }
  return parsed;
});

// Express accepts hop counts, booleans and address lists; "true" (trust everyone) is refused
// because it lets any client forge X-Forwarded-For and dodge the per-IP login throttle.
const trustProxy = z.string().trim().default('false').transform((value, ctx) => {
  if (value === 'false' || value === '0' || value === '') return false as const;
  if (/^\d+$/.test(value)) return Number(value);
  if (value === 'true') {
    ctx.addIssue({ code: 'custom', message: 'use a hop count (e.g. 1) or addresses, not "true"' });
    return false as const;
  }
  return value.split(',').map((s) => s.trim()).filter(Boolean);
});

// `off_hours=low,new_ip=high`: each named rule's severity; the rules left out keep their default.
const flagSeverity = z.string().trim().default('').transform((value, ctx) => {
  const chosen: Record<FlagRule, Severity> = { ...DEFAULT_FLAG_SEVERITY };
  const named = new Set<string>();
  for (const item of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [rule = '', severity = '', ...rest] = item.split('=').map((s) => s.trim());
    const problem = rest.length > 0 || !severity ? `"${item}" is not rule=severity (e.g. off_hours=low)`
      : !(FLAG_RULES as readonly string[]).includes(rule) ? `"${rule}" is not a rule (${FLAG_RULES.join(', ')})`
      : !(SEVERITIES as readonly string[]).includes(severity) ? `"${severity}" for ${rule} is not a severity (${SEVERITIES.join(', ')})`
      : named.has(rule) ? `${rule} is given twice` : null;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    else chosen[rule as FlagRule] = severity as Severity;
    named.add(rule);
  }
  return chosen;
});

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  SECURITY_PORT: int(5501, 0, 65535),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  JWT_SECRET_KEY: optionalText,
  SESSION_SECRET: optionalText,
  ADMIN_USERNAME: z.string().trim().min(3).max(64).default('admin'),
  ADMIN_PASSWORD: z.string().optional().transform((v) => (v === '' ? undefined : v)),
  MAIN_APP_URL: origins.default(['http://127.0.0.1:5500']),
  TRUST_PROXY: trustProxy,
  PASSWORD_REQUIRE_CLASSES: bool(false),
  SESSION_IDLE_MINUTES: int(30, 1, 24 * 60),
  SESSION_ABSOLUTE_HOURS: int(12, 1, 24 * 7),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: int(5, 1, 1000),
  LOGIN_MAX_FAILURES_PER_IP: int(100, 1, 100000),
  LOGIN_FAILURE_WINDOW_MINUTES: int(15, 1, 24 * 60),
  LOGIN_LOCK_BASE_SECONDS: int(60, 1, 24 * 3600),
  LOGIN_LOCK_MAX_SECONDS: int(3600, 1, 7 * 24 * 3600),
  LOGIN_REQUESTS_PER_MINUTE: int(60, 1, 100000),
  API_LOGIN_REQUESTS_PER_MINUTE: int(300, 1, 100000),
  LOGIN_PAGE_REQUESTS_PER_MINUTE: int(300, 1, 1_000_000),
  ACCESS_TOKEN_EXPIRES_MINUTES: int(30, 1, 24 * 60),
  REFRESH_TOKEN_EXPIRES_DAYS: int(7, 1, 365),
  RATE_LIMIT_MESSAGES_PER_MINUTE: int(10, 1, 100000),
  RATE_LIMIT_MESSAGES_PER_HOUR: int(100, 1, 1000000),
  RATE_LIMIT_MESSAGES_PER_DESTINATION_HOUR: int(5, 1, 100000),
  ACTIVITY_RETENTION_DAYS: int(365, 1, 36500),
  BUSINESS_HOURS: z.string().trim().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, 'use HH:MM-HH:MM, e.g. 08:00-20:00').default('08:00-20:00'),
  BUSINESS_TZ: z.string().trim().default('UTC').refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'is not a known time zone (e.g. Europe/Madrid)'),
  ANOMALY_FAILED_LOGINS_PER_ACCOUNT: int(5, 1, 10000),
  ANOMALY_FAILED_LOGINS_PER_IP: int(20, 1, 100000),
  ANOMALY_ACTIONS_PER_MINUTE: int(30, 1, 100000),
  ANOMALY_NEW_IP_DAYS: int(30, 1, 3650),
  ANOMALY_FRESH_ACCOUNT_MINUTES: int(30, 0, 24 * 60),
  FLAG_SEVERITY: flagSeverity,
  DB_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('FULL'),
  DB_DATA_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('NORMAL'),
  LOG_REQUESTS: bool(true),
  DEFAULT_COUNTRY: z.string().trim().toUpperCase().regex(/^([A-Z]{2})?$/, 'use a two-letter country code (ISO 3166-1), e.g. US or ES')
    .optional().transform((v) => v || undefined),
  MAX_CONNECTIONS: int(1000, 1, 1_000_000),
  HEADERS_TIMEOUT_SECONDS: int(10, 1, 10),
  REQUEST_TIMEOUT_SECONDS: int(30, 1, 30),
  KEEP_ALIVE_TIMEOUT_SECONDS: int(5, 1, 120),
  SHUTDOWN_GRACE_SECONDS: int(5, 0, 120),
  // Decimals allowed (0.5: every half hour); 0 turns scheduled backups off.
  BACKUP_INTERVAL_HOURS: z.coerce.number().min(0).max(24 * 365).default(24),
  BACKUP_DIR: optionalText,
  BACKUP_KEEP: int(7, 1, 10_000),
  DISK_MIN_FREE_MB: int(100, 0, 10_000_000),
  METRICS_TOKEN: optionalText,
});

export const CONFIG_VARIABLES = Object.keys(envSchema.shape);

export type ParsedEnv = z.infer<typeof envSchema>;
