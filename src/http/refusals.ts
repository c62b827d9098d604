import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import type { Clock } from '../clock.js';
import type { ActivityAppender } from '../domain/activity.js';
import type { TokenPrincipal } from '../domain/principal.js';
import { clientKey } from './client-key.js';

/** A panel session as the activity log refers to it: a hash of its id, never the id. */
export function sessionRef(req: Request): string | null {
  return req.sessionID ? 'session:' + crypto.createHash('sha256').update(req.sessionID).digest('hex').slice(0, 16) : null;
}

export type RefusalKind = 'access.denied' | 'csrf.failed' | 'rate_limit.refused';
export type RecordRefusal = (req: Request, res: Response, action: RefusalKind, status: number) => void;

export interface RefusalRecorder {
  record: RecordRefusal;
  /** Writes the last minute's counts once it is over (at once with `everything`, at shutdown). */
  flush(everything?: boolean): void;
}

const MINUTE_MS = 60_000;
// Rows an anonymous flood can cause per minute, however many addresses it comes from: the
// first refusal of this many clients at once, then this many per-client counts, then one
// "other clients" row per kind.
const IMMEDIATE_PER_MINUTE = 20;
const COUNTED_PER_MINUTE = 100;
const TRACKED_PER_MINUTE = 10_000;

interface Tally {
  client: string | null;
  action: RefusalKind;
  /** Refusals not written yet. */
  count: number;
  clients: number;
  statuses: Set<number>;
  paths: Set<string>;
}

/**
 * Writes refused requests (403, CSRF failure, 429) to the activity log, with who and where. A
 * signed-in caller's refusals are written one by one. An anonymous client's are counted per
 * client (see client-key.ts), kind and minute, so that a flood cannot fill the log: the first
 * is written at once (count 1), the rest of the minute as one row with its count once the
 * minute is over.
 */
export function createRefusalRecorder(deps: { activityLog: ActivityAppender; clock: Clock }): RefusalRecorder {
  const { activityLog, clock } = deps;
  let minute = Math.floor(clock() / MINUTE_MS);
  let tallies = new Map<string, Tally>();
  let immediate = 0;

  const write = (t: Tally, at: number) => activityLog.append({
    action: t.action, outcome: 'denied', ip: t.client, targetType: 'route',
    detail: { anonymous: true, count: t.count, minute: new Date(at * MINUTE_MS).toISOString(), statuses: [...t.statuses].join(','),
      paths: [...t.paths].join(' ').slice(0, 200), ...(t.clients > 1 ? { clients: t.clients } : {}) },
  });

  /** Writes what the finished minute counted: the busiest clients one by one, the rest together. */
  function closeMinute(next: number): void {
    const counted = [...tallies.values()].filter((t) => t.count > 0).sort((a, b) => b.count - a.count);
    const others = new Map<RefusalKind, Tally>();
    for (const t of counted.slice(COUNTED_PER_MINUTE)) {
      const o = others.get(t.action) ?? { ...t, client: null, count: 0, clients: 0, statuses: new Set(), paths: new Set() };
      Object.assign(o, { count: o.count + t.count, clients: o.clients + t.clients });
      t.statuses.forEach((x) => o.statuses.add(x));
      others.set(t.action, o);
    }
    for (const t of [...counted.slice(0, COUNTED_PER_MINUTE), ...others.values()]) write(t, minute);
    tallies = new Map();
    immediate = 0;
    minute = next;
  }

  function flush(everything = false): void {
    const now = Math.floor(clock() / MINUTE_MS);
    if (everything || now !== minute) closeMinute(now);
  }

  function recordAnonymous(req: Request, action: RefusalKind, status: number): void {
    flush();
    const client = tallies.size < TRACKED_PER_MINUTE ? clientKey(req.ip) : null;
    const key = `${client ?? '*'}\u0000${action}`;
    let tally = tallies.get(key);
    if (!tally) {
      tally = { client, action, count: 0, clients: 1, statuses: new Set(), paths: new Set() };
      tallies.set(key, tally);
      if (client !== null && immediate < IMMEDIATE_PER_MINUTE) {
        immediate += 1;
        write({ ...tally, count: 1, statuses: new Set([status]), paths: new Set([pathOf(req)]) }, minute);
        return;
      }
    }
    tally.count += 1;
    tally.statuses.add(status);
    if (tally.paths.size < 5) tally.paths.add(pathOf(req));
  }

  const record: RecordRefusal = (req, res, action, status) => {
    const principal = res.locals.principal as TokenPrincipal | undefined;
    const user = req.currentUser;
    if (!user && !principal) return recordAnonymous(req, action, status);
    activityLog.append({
      action, outcome: 'denied',
      userId: user?.id ?? principal?.userId ?? null,
      username: user?.username ?? principal?.username ?? null,
      loginRef: principal?.loginId ?? sessionRef(req),
      ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null, targetType: 'route', targetId: pathOf(req),
      detail: { method: req.method, path: pathOf(req), status },
    });
  };

  return { record, flush };
}

const pathOf = (req: Request) => req.originalUrl.split('?', 1)[0]!.slice(0, 64);
