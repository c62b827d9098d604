import { isoTime, type Clock } from '../../clock.js';
import type { ActivitySettings } from '../../config.js';
import { inWriteTransaction, writeTransaction, type Db } from '../../db.js';
import type { ActivityAppender, ActivityEvent, FlagRule } from '../../domain/activity.js';
import { createChain, type ActivityRow } from './activity.chain.js';
import { createChainRepo } from './activity-chain.repo.js';
import { createRulesRepo } from './activity-rules.repo.js';
import { createFlagRules } from './activity.rules.js';

/** Told of each row written and each flag raised (metrics count them). */
export interface ActivityObserver {
  recorded(event: ActivityEvent): void;
  flagged(rule: FlagRule): void;
}

export interface ActivityLogDeps {
  db: Db;
  settings: ActivitySettings;
  clock: Clock;
  observer?: ActivityObserver;
}

/**
 * The event's detail as stored, with the target's name at the time: `target_username` for an
 * account (as rows have always named it), `target_name` for anything else. The detail is part
 * of the chain's MAC, so the name cannot be changed afterwards.
 */
function detailOf(event: ActivityEvent): string | null {
  const key = event.targetType === 'user' ? 'target_username' : 'target_name';
  const named = event.targetName !== undefined && event.targetName !== null && event.detail?.[key] === undefined;
  const detail = named ? { [key]: event.targetName!, ...event.detail } : event.detail;
  return detail ? JSON.stringify(detail) : null;
}

/** An append outside writeTransaction would read the chain's head unlocked: refused as a bug, never risked. */
export class UnlockedAppend extends Error {
  constructor() {
    super('activityLog.append inside a deferred transaction: run the change in writeTransaction (db.ts)');
  }
}

/**
 * The activity log's writer, one per database connection. Each row links to the previous one
 * with an HMAC under the chain key, and the anomaly rules run on it, in the same transaction.
 *
 * The locking rule: several connections (security and data, a script, a second process) append
 * to one chain, so a row is appended only while its connection holds SQLite's write lock, from
 * reading the chain's head to inserting the row. `append` therefore runs inside the caller's
 * writeTransaction (so the row commits or rolls back with the change it records), opens one of
 * its own when there is none, and throws UnlockedAppend inside any other transaction.
 */
export function createActivityLog(deps: ActivityLogDeps) {
  const { db, clock, observer } = deps;
  const chain = createChain({ repo: createChainRepo(db), key: deps.settings.chainKey });
  const rules = createFlagRules({ repo: createRulesRepo(db), settings: deps.settings, onFlag: (rule) => observer?.flagged(rule) });

  function appendRow(event: ActivityEvent): number {
    const at = isoTime(clock());
    chain.seal(at);
    const { prevHash, nextId } = chain.head();
    const content: Omit<ActivityRow, 'hash'> = {
      id: nextId, at, user_id: event.userId ?? null, username: event.username ?? null, login_ref: event.loginRef ?? null,
      action: event.action, target_type: event.targetType ?? null,
      target_id: event.targetId === undefined || event.targetId === null ? null : String(event.targetId),
      ip: event.ip ?? null, user_agent: event.userAgent?.slice(0, 256) ?? null, outcome: event.outcome,
      detail: detailOf(event), prev_hash: prevHash,
    };
    const row = { ...content, hash: chain.macs.row(content) };
    chain.repo.insertRow(row);
    rules.evaluate(row);
    observer?.recorded(event);
    return row.id;
  }

  return {
    append(event: ActivityEvent): number {
      if (db.inTransaction && !inWriteTransaction(db)) throw new UnlockedAppend();
      return writeTransaction(db, () => appendRow(event));
    },
    /** The chain this log appends to: retention and verification work on it. */
    chain,
    /** Writes the seal now if it is missing (at start); says whether it did and over how many older rows. */
    seal: () => writeTransaction(db, () => chain.seal(isoTime(clock()))),
  } satisfies ActivityAppender & Record<string, unknown>;
}

export type ActivityLog = ReturnType<typeof createActivityLog>;
