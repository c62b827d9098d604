import type { Db } from '../../db.js';

export type Outcome = 'success' | 'failure' | 'denied';

export interface SecurityEvent {
  action: string;
  outcome: Outcome;
  userId?: number | null;
  username?: string | null;
  /** A reference to the token login or panel session, never the secret itself. */
  loginRef?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  detail?: Record<string, string | number | boolean | null>;
}

export function createEventsRepo(db: Db, clock: () => number = Date.now) {
  const insert = db.prepare(`INSERT INTO security_events
      (at, action, outcome, user_id, username, login_ref, ip, user_agent, detail)
    VALUES (@at, @action, @outcome, @userId, @username, @loginRef, @ip, @userAgent, @detail)`);
  return {
    record: (event: SecurityEvent): void => {
      insert.run({
        at: new Date(clock()).toISOString(),
        action: event.action,
        outcome: event.outcome,
        userId: event.userId ?? null,
        username: event.username ?? null,
        loginRef: event.loginRef ?? null,
        ip: event.ip ?? null,
        userAgent: event.userAgent?.slice(0, 256) ?? null,
        detail: event.detail ? JSON.stringify(event.detail) : null,
      });
    },
  };
}

export type EventsRepo = ReturnType<typeof createEventsRepo>;
