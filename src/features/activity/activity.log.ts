import crypto from 'node:crypto';
import type { ActivitySettings } from '../../config.js';
import type { Db } from '../../db.js';
import { createFlagRules } from './activity.rules.js';

export type Outcome = 'success' | 'failure' | 'denied';

export interface ActivityEvent {
  action: string;
  outcome: Outcome;
  userId?: number | null;
  username?: string | null;
  /** The token login or panel session it came through: an id or a hash, never the secret. */
  loginRef?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  targetType?: string | null;
  targetId?: string | number | null;
  detail?: Record<string, string | number | boolean | null>;
}

export interface ActivityRow {
  id: number;
  at: string;
  user_id: number | null;
  username: string | null;
  login_ref: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  outcome: Outcome;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** The hash of a row: its content and the previous row's hash, in a fixed order. */
export function hashRow(row: Omit<ActivityRow, 'id' | 'hash'>): string {
  const content = [row.prev_hash, row.at, row.user_id, row.username, row.login_ref, row.action, row.target_type,
    row.target_id, row.ip, row.user_agent, row.outcome, row.detail];
  return crypto.createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

/**
 * Appends to the activity log, chaining each row to the previous one, and runs the anomaly
 * rules on it, all inside the caller's transaction when there is one (its own otherwise).
 */
export function createEventsRepo(db: Db, settings: ActivitySettings, clock: () => number = Date.now) {
  const lastHash = db.prepare<[], string>('SELECT hash FROM activity_log ORDER BY id DESC LIMIT 1').pluck();
  const checkpointHash = db.prepare<[], string>('SELECT last_hash FROM activity_checkpoints ORDER BY id DESC LIMIT 1').pluck();
  const insert = db.prepare(`INSERT INTO activity_log
      (at, user_id, username, login_ref, action, target_type, target_id, ip, user_agent, outcome, detail, prev_hash, hash)
    VALUES (@at, @user_id, @username, @login_ref, @action, @target_type, @target_id, @ip, @user_agent, @outcome, @detail, @prev_hash, @hash)`);
  const rules = createFlagRules(db, settings);

  const append = db.transaction((event: ActivityEvent): number => {
    const row = {
      at: new Date(clock()).toISOString(),
      user_id: event.userId ?? null,
      username: event.username ?? null,
      login_ref: event.loginRef ?? null,
      action: event.action,
      target_type: event.targetType ?? null,
      target_id: event.targetId === undefined || event.targetId === null ? null : String(event.targetId),
      ip: event.ip ?? null,
      user_agent: event.userAgent?.slice(0, 256) ?? null,
      outcome: event.outcome,
      detail: event.detail ? JSON.stringify(event.detail) : null,
      prev_hash: lastHash.get() ?? checkpointHash.get() ?? GENESIS_HASH,
    };
    const id = Number(insert.run({ ...row, hash: hashRow(row) }).lastInsertRowid);
    rules.evaluate({ ...row, id, hash: '' });
    return id;
  });

  return {
    /** Appends one row; IMMEDIATE when on its own, so two processes cannot fork the chain. */
    record: (event: ActivityEvent): number => (db.inTransaction ? append(event) : append.immediate(event)),
  };
}

export type EventsRepo = ReturnType<typeof createEventsRepo>;
