import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import type { EventsRepo } from '../features/activity/activity.log.js';
import type { TokenPrincipal } from '../features/auth/token-auth.service.js';

/** A panel session as the activity log refers to it: a hash of its id, never the id. */
export function sessionRef(req: Request): string | null {
  return req.sessionID ? 'session:' + crypto.createHash('sha256').update(req.sessionID).digest('hex').slice(0, 16) : null;
}

export type RecordRefusal = (req: Request, res: Response, action: 'access.denied' | 'csrf.failed' | 'rate_limit.refused', status: number) => void;

/** Writes a refused request (403, CSRF failure, 429) to the activity log, with who and where. */
export function createRefusalRecorder(events: EventsRepo): RecordRefusal {
  return (req, res, action, status) => {
    const principal = res.locals.principal as TokenPrincipal | undefined;
    const user = req.currentUser;
    events.record({
      action, outcome: 'denied',
      userId: user?.id ?? principal?.userId ?? null,
      username: user?.username ?? principal?.username ?? null,
      loginRef: principal?.loginId ?? sessionRef(req),
      ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null,
      detail: { method: req.method, path: req.originalUrl.split('?', 1)[0]!, status },
    });
  };
}
