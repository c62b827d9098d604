import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import type { EventsRepo } from '../features/activity/activity.log.js';
import type { TokenPrincipal } from '../features/auth/token-auth.service.js';

/** A panel session as the activity log refers to it: a hash of its id, never the id. */
export function sessionRef(req: Request): string | null {
  return req.sessionID ? 'session:' + crypto.createHash('sha256').update(req.sessionID).digest('hex').slice(0, 16) : null;
}

export type RefusalKind = 'access.denied' | 'csrf.failed' | 'rate_limit.refused';
export type RecordRefusal = (req: Request, res: Response, action: RefusalKind, status: number) => void;

export interface RefusalRecorder {
  record: RecordRefusal;
  /** Writes the counts of the minutes that have ended (all of them with `everything`). */
  flush(everything?: boolean): void;
}

const MINUTE_MS = 60_000;

interface Tally {
  ip: string | null;
  action: RefusalKind;
  minute: number;
  count: number;
  statuses: Set<number>;
  paths: Set<string>;
}

/**
 * Writes refused requests (403, CSRF failure, 429) to the activity log, with who and where. A
 * signed-in caller's refusals are written one by one. An anonymous client's are aggregated per
 * IP, kind and minute, so a flood cannot fill the log: the first is written at once (count 1),
 * the rest of that minute as one row with their count when the minute is over.
 */
export function createRefusalRecorder(events: EventsRepo, clock: () => number = Date.now): RefusalRecorder {
  const tallies = new Map<string, Tally>();

  const write = (t: Tally, count: number) => events.record({
    action: t.action, outcome: 'denied', ip: t.ip,
    detail: { anonymous: true, count, minute: new Date(t.minute * MINUTE_MS).toISOString(),
      statuses: [...t.statuses].join(','), paths: [...t.paths].join(' ').slice(0, 200) },
  });

  function flush(everything = false): void {
    const minute = Math.floor(clock() / MINUTE_MS);
    for (const [key, t] of tallies) {
      if (!everything && t.minute === minute) continue;
      tallies.delete(key);
      if (t.count > 1) write(t, t.count - 1);
    }
  }

  function recordAnonymous(req: Request, action: RefusalKind, status: number): void {
    flush();
    const minute = Math.floor(clock() / MINUTE_MS);
    const key = `${req.ip ?? ''}\u0000${action}`;
    const path = req.originalUrl.split('?', 1)[0]!.slice(0, 64);
    const tally = tallies.get(key);
    if (tally) {
      tally.count += 1;
      tally.statuses.add(status);
      if (tally.paths.size < 5) tally.paths.add(path);
      return;
    }
    const first: Tally = { ip: req.ip ?? null, action, minute, count: 1, statuses: new Set([status]), paths: new Set([path]) };
    tallies.set(key, first);
    write(first, 1);
  }

  const record: RecordRefusal = (req, res, action, status) => {
    const principal = res.locals.principal as TokenPrincipal | undefined;
    const user = req.currentUser;
    if (!user && !principal) return recordAnonymous(req, action, status);
    events.record({
      action, outcome: 'denied',
      userId: user?.id ?? principal?.userId ?? null,
      username: user?.username ?? principal?.username ?? null,
      loginRef: principal?.loginId ?? sessionRef(req),
      ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null,
      detail: { method: req.method, path: req.originalUrl.split('?', 1)[0]!, status },
    });
  };

  return { record, flush };
}
