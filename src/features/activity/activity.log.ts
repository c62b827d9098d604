import crypto from 'node:crypto';
import type { ActivitySettings } from '../../config.js';
import type { Db } from '../../db.js';
import { createChainStore, GENESIS_HASH, type ActivityRow } from './activity.chain.js';
import { createFlagRules } from './activity.rules.js';
import type { ActivityEvent, Outcome } from '../../domain/activity.js';

export { GENESIS_HASH };

/** The unkeyed SHA-256 of a row, as written before migration 007 (rows before the seal). */
export function hashRow(row: Omit<ActivityRow, 'id' | 'hash'>): string {
  const content = [row.prev_hash, row.at, row.user_id, row.username, row.login_ref, row.action, row.target_type,
    row.target_id, row.ip, row.user_agent, row.outcome, row.detail];
  return crypto.createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

/**
 * Appends to the activity log, chaining each row to the previous one with an HMAC under the
 * chain key (settings.chainKey), and runs the anomaly rules on it, all inside the caller's
 * transaction when there is one (its own otherwise).
 */
/** Told of each row written and each flag raised (metrics count them). */
export interface EventObserver {
  recorded(event: ActivityEvent): void;
  flagged(rule: string): void;
}

export function createEventsRepo(db: Db, settings: ActivitySettings, clock: () => number = Date.now, observer?: EventObserver) {
  const chain = createChainStore(db, settings.chainKey);
  const insert = db.prepare(`INSERT INTO activity_log
      (id, at, user_id, username, login_ref, action, target_type, target_id, ip, user_agent, outcome, detail, prev_hash, hash)
    VALUES (@id, @at, @user_id, @username, @login_ref, @action, @target_type, @target_id, @ip, @user_agent, @outcome, @detail, @prev_hash, @hash)`);
  const rules = createFlagRules(db, settings, observer?.flagged);

  const append = db.transaction((event: ActivityEvent): number => {
    const at = new Date(clock()).toISOString();
    chain.seal(at);
    const { prevHash, nextId } = chain.head();
    const row = {
      id: nextId,
      at,
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
      prev_hash: prevHash,
    };
    const hash = chain.macs.row(row);
    insert.run({ ...row, hash });
    rules.evaluate({ ...row, hash });
    observer?.recorded(event);
    return row.id;
  });

  return {
    /** Appends one row; IMMEDIATE when on its own, so two processes cannot fork the chain. */
    record: (event: ActivityEvent): number => (db.inTransaction ? append(event) : append.immediate(event)),
    /** The chain's seal and checkpoints, for retention and verification. */
    chain,
    /** Writes the seal now if it is missing (at start); says whether it did and over how many older rows. */
    seal: () => db.transaction(() => chain.seal(new Date(clock()).toISOString())).immediate(),
  };
}

export type EventsRepo = ReturnType<typeof createEventsRepo>;
