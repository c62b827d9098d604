import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { envSchema, type ParsedEnv } from './config-env.js';
import { deriveChainKey, ensureDevSecrets, secretWeakness, isKnownDefaultPassword } from './config-secrets.js';

export { CONFIG_VARIABLES } from './config-env.js';

export type Env = Record<string, string | undefined>;

export interface ActivitySettings {
  retentionDays: number;
  /** Keys the activity log's HMAC chain; derived from SESSION_SECRET, never stored. */
  chainKey: Buffer;
  /** Minutes after midnight, local to timeZone: [start, end). */
  businessHours: { start: number; end: number };
  timeZone: string;
  failedLoginsPerAccount: number;
  failedLoginsPerIp: number;
  actionsPerMinute: number;
  newIpDays: number;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  isProduction: boolean;
  host: string;
  port: number;
  dataDir: string;
  jwtSecret: string;
  sessionSecret: string;
  adminUsername: string;
  adminPassword: string | undefined;
  mainAppOrigins: string[];
  trustProxy: false | number | string[];
  passwordRequireClasses: boolean;
  session: { idleMinutes: number; absoluteHours: number; cookieName: string; secureCookie: boolean };
  throttle: {
    maxFailuresPerAccount: number;
    maxFailuresPerIp: number;
    windowMinutes: number;
    lockBaseSeconds: number;
    lockMaxSeconds: number;
    requestsPerMinute: number;
    apiRequestsPerMinute: number;
    /** GET /login per IP per minute. */
    pageRequestsPerMinute: number;
  };
  tokens: { accessMinutes: number; refreshDays: number };
  quotas: { perMinute: number; perHour: number; perDestinationHour: number };
  dbSynchronous: 'FULL' | 'NORMAL';
  activity: ActivitySettings;
  dataSynchronous: 'FULL' | 'NORMAL';
  logRequests: boolean;
  /** Country assumed for phone numbers written without one (ISO 3166-1 alpha-2), if any. */
  defaultCountry: string | undefined;
  /** Slow-client limits of the HTTP server. */
  server: { maxConnections: number; headersTimeoutMs: number; requestTimeoutMs: number; keepAliveTimeoutMs: number;
    /** After SIGTERM, how long idle keep-alive sockets may stay open before they are closed. */
    shutdownGraceMs: number };
  /** Scheduled backups: every intervalHours (0: none) into dir, keeping the newest `keep`. */
  backups: { intervalHours: number; dir: string; keep: number };
  /** /ready answers 503 below this much free space in the data directory. */
  diskMinFreeBytes: number;
  /** Bearer token for GET /metrics; unset: loopback clients only. */
  metricsToken: string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** Reads `.env` (if any) under the environment: real environment variables win. */
export function readEnvironment(cwd = process.cwd(), env: Env = process.env): Env {
  const file = path.join(cwd, '.env');
  const fromFile = fs.existsSync(file) ? parseEnv(fs.readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...env };
}

export function loadConfig(env: Env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  const dataDir = path.resolve(e.DATA_DIR);
  const problems = [...limitProblems(e), ...(isProduction ? productionProblems(e) : [])];
  if (problems.length > 0) throw new ConfigError(problems);

  const secrets = isProduction
    ? { jwtSecret: e.JWT_SECRET_KEY!, sessionSecret: e.SESSION_SECRET! }
    : ensureDevSecrets(dataDir, { jwtSecret: e.JWT_SECRET_KEY, sessionSecret: e.SESSION_SECRET });

  return {
    env: e.NODE_ENV,
    isProduction,
    host: e.HOST,
    port: e.SECURITY_PORT,
    dataDir,
    ...secrets,
    adminUsername: e.ADMIN_USERNAME,
    adminPassword: e.ADMIN_PASSWORD,
    mainAppOrigins: e.MAIN_APP_URL,
    trustProxy: e.TRUST_PROXY,
    passwordRequireClasses: e.PASSWORD_REQUIRE_CLASSES,
    session: {
      idleMinutes: e.SESSION_IDLE_MINUTES,
      absoluteHours: e.SESSION_ABSOLUTE_HOURS,
      // __Host- binds the cookie to this exact origin over HTTPS (no Domain, Path=/).
      cookieName: isProduction ? '__Host-nexus.sid' : 'nexus.sid',
      secureCookie: isProduction,
    },
    throttle: {
      maxFailuresPerAccount: e.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      maxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      windowMinutes: e.LOGIN_FAILURE_WINDOW_MINUTES,
      lockBaseSeconds: e.LOGIN_LOCK_BASE_SECONDS,
      lockMaxSeconds: e.LOGIN_LOCK_MAX_SECONDS,
      requestsPerMinute: e.LOGIN_REQUESTS_PER_MINUTE,
      apiRequestsPerMinute: e.API_LOGIN_REQUESTS_PER_MINUTE,
      pageRequestsPerMinute: e.LOGIN_PAGE_REQUESTS_PER_MINUTE,
    },
    tokens: { accessMinutes: e.ACCESS_TOKEN_EXPIRES_MINUTES, refreshDays: e.REFRESH_TOKEN_EXPIRES_DAYS },
    quotas: { perMinute: e.RATE_LIMIT_MESSAGES_PER_MINUTE, perHour: e.RATE_LIMIT_MESSAGES_PER_HOUR,
      perDestinationHour: e.RATE_LIMIT_MESSAGES_PER_DESTINATION_HOUR },
    dbSynchronous: e.DB_SYNCHRONOUS,
    activity: {
      retentionDays: e.ACTIVITY_RETENTION_DAYS,
      chainKey: deriveChainKey(secrets.sessionSecret),
      businessHours: parseHours(e.BUSINESS_HOURS),
      timeZone: e.BUSINESS_TZ,
      failedLoginsPerAccount: e.ANOMALY_FAILED_LOGINS_PER_ACCOUNT,
      failedLoginsPerIp: e.ANOMALY_FAILED_LOGINS_PER_IP,
      actionsPerMinute: e.ANOMALY_ACTIONS_PER_MINUTE,
      newIpDays: e.ANOMALY_NEW_IP_DAYS,
    },
    dataSynchronous: e.DB_DATA_SYNCHRONOUS,
    logRequests: e.LOG_REQUESTS,
    defaultCountry: e.DEFAULT_COUNTRY,
    server: {
      maxConnections: e.MAX_CONNECTIONS,
      headersTimeoutMs: e.HEADERS_TIMEOUT_SECONDS * 1000,
      requestTimeoutMs: e.REQUEST_TIMEOUT_SECONDS * 1000,
      keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
      shutdownGraceMs: e.SHUTDOWN_GRACE_SECONDS * 1000,
    },
    backups: {
      intervalHours: e.BACKUP_INTERVAL_HOURS,
      dir: path.resolve(e.BACKUP_DIR ?? path.join(dataDir, 'backups')),
      keep: e.BACKUP_KEEP,
    },
    diskMinFreeBytes: e.DISK_MIN_FREE_MB * 1024 * 1024,
    metricsToken: e.METRICS_TOKEN,
  };
}

function parseHours(range: string): { start: number; end: number } {
  const [start, end] = range.split('-').map((t) => {
    const [h, m] = t.split(':').map(Number);
    return h! * 60 + m!;
  });
  return { start: start!, end: end! };
}

// Node refuses a header timeout longer than the request timeout (it could never fire).
function limitProblems(e: ParsedEnv): string[] {
  return e.HEADERS_TIMEOUT_SECONDS > e.REQUEST_TIMEOUT_SECONDS
    ? [`HEADERS_TIMEOUT_SECONDS: must not exceed REQUEST_TIMEOUT_SECONDS (${e.REQUEST_TIMEOUT_SECONDS})`]
    : [];
}

function productionProblems(e: ParsedEnv): string[] {
  const problems: string[] = [];
  for (const name of ['JWT_SECRET_KEY', 'SESSION_SECRET'] as const) {
    const weakness = secretWeakness(e[name]);
    if (weakness) problems.push(`${name}: ${weakness} (NODE_ENV=production)`);
  }
  const metricsWeakness = e.METRICS_TOKEN === undefined ? null : secretWeakness(e.METRICS_TOKEN);
  if (metricsWeakness) problems.push(`METRICS_TOKEN: ${metricsWeakness} (NODE_ENV=production)`);
  if (e.JWT_SECRET_KEY && e.JWT_SECRET_KEY === e.SESSION_SECRET) {
    problems.push('SESSION_SECRET: must differ from JWT_SECRET_KEY (NODE_ENV=production)');
  }
  if (e.ADMIN_PASSWORD !== undefined && isKnownDefaultPassword(e.ADMIN_PASSWORD)) {
    problems.push('ADMIN_PASSWORD: is a known default password; choose another or unset it (NODE_ENV=production)');
  }
  return problems;
}
