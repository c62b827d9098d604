import fs from 'node:fs';
import { isoTime, type Clock } from '../../clock.js';
import { readMigrations, type Db } from '../../db.js';
import { isStorageFailure } from '../../errors.js';
import { createHealthRepo } from './health.repo.js';

/** 'ok', or what an operator should do about it. */
export type CheckResult = string;

export interface Readiness {
  ready: boolean;
  checks: { database: CheckResult; disk: CheckResult; migrations: CheckResult };
}

export interface ReadinessDeps {
  db: Db;
  clock: Clock;
  dataDir: string;
  diskMinFreeBytes: number;
  /** How long the write probe may wait for a lock held by another connection. */
  probeBusyTimeoutMs?: number;
  /** A result is reused this long, so a flood of probes costs one commit a second at most. */
  cacheMs?: number;
}

const PROBE_BUSY_TIMEOUT_MS = 250;
const CACHE_MS = 1000;

/**
 * Readiness: the database takes a write, the data directory has room, and the schema is
 * current. Reasons are words an operator can act on, never paths or SQLite messages.
 */
export function createReadiness(settings: ReadinessDeps) {
  const { clock } = settings;
  const repo = createHealthRepo(settings.db);
  const shipped = readMigrations().map((m) => m.version);
  let cached: { at: number; result: Readiness } | undefined;

  const database = (): CheckResult => {
    try {
      repo.probeWrite(isoTime(clock()), settings.probeBusyTimeoutMs ?? PROBE_BUSY_TIMEOUT_MS);
      return 'ok';
    } catch (err) {
      if (!isStorageFailure(err)) throw err;
      return describeStorageFailure((err as { code: string }).code);
    }
  };

  const disk = (): CheckResult => {
    try {
      const stats = fs.statfsSync(settings.dataDir);
      const free = stats.bavail * stats.bsize;
      if (free >= settings.diskMinFreeBytes) return 'ok';
      return `free space ${mib(free)} MiB is under DISK_MIN_FREE_MB (${mib(settings.diskMinFreeBytes)} MiB)`;
    } catch {
      return 'the data directory cannot be read';
    }
  };

  const migrations = (): CheckResult => {
    const applied = repo.appliedVersions();
    const pending = shipped.filter((v) => !applied.has(v)).length;
    return pending === 0 ? 'ok' : `${pending} migration(s) pending: run npm run migrate or restart`;
  };

  return {
    /** The service answers (one read): for a liveness probe. */
    alive: (): boolean => repo.ping(),
    check(): Readiness {
      const now = clock();
      if (cached && now - cached.at < (settings.cacheMs ?? CACHE_MS)) return cached.result;
      const checks = { database: database(), disk: disk(), migrations: migrations() };
      const result = { ready: Object.values(checks).every((c) => c === 'ok'), checks };
      cached = { at: now, result };
      return result;
    },
  };
}

function describeStorageFailure(code: string): string {
  if (code.startsWith('SQLITE_FULL')) return 'cannot write: the disk is full';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'cannot write: locked by another connection past the busy timeout';
  if (code.startsWith('SQLITE_READONLY')) return 'cannot write: the database or its directory is read-only';
  return 'cannot write: input/output error';
}

const mib = (bytes: number) => Math.floor(bytes / (1024 * 1024));
