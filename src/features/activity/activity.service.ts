import { isoTime, type Clock } from '../../clock.js';
import { keysetChunks, writeTransaction, type Db } from '../../db.js';
import { createChain, sameMac } from './activity.chain.js';
import { createChainRepo } from './activity-chain.repo.js';
import type { ActivityLog } from './activity-log.service.js';
import { createActivityRepo, type ActivityFilters } from './activity.repo.js';
import type { ActivityFilterQuery } from './activity.schemas.js';
import { createFlagTriage } from './activity.triage.js';
import { verifyChain } from './activity.verify.js';

export { displayEvent, type DisplayedEvent } from './activity.display.js';

/** Console pages count at most this far ("10,000 or more"): an exact count at a million rows costs more than the page. */
export const COUNT_CAP = 10_000;
const EXPORT_CHUNK = 2000;
const DAY_MS = 86_400_000;

export interface ActivityServiceDeps {
  db: Db;
  activityLog: ActivityLog;
  retentionDays: number;
  clock: Clock;
}

/** Reading the activity log and triaging its flags; the chain's seal, verification and retention. */
export function createActivityService(deps: ActivityServiceDeps) {
  const { db, activityLog, clock } = deps;
  const repo = createActivityRepo(db);
  const { chain } = activityLog;

  function list(f: ActivityFilters, limit: number, offset: number) {
    return { events: repo.listPage(f, limit, offset), total: repo.count(f) };
  }

  /**
   * A console page, newest first, from `before` on: the rows, the count (capped at COUNT_CAP)
   * and where the next page starts, or null on the last.
   */
  function page(f: ActivityFilters, limit: number, before?: number) {
    const events = repo.listPage({ ...f, beforeId: before }, limit + 1, 0);
    // The two halves of a by-or-about listing are counted apart: their sum may pass the cap.
    const total = Math.min(repo.count(f, COUNT_CAP), COUNT_CAP);
    const more = events.length > limit;
    if (more) events.pop();
    return { events, total, capped: total >= COUNT_CAP, nextBefore: more ? events.at(-1)!.id : null };
  }

  /**
   * The filters as a person types them, with names turned into the accounts they name: "by" a
   * name that is no account matches what was done under that name (the operator's rows), and
   * "about" one matches nothing, with a note saying so.
   */
  function resolveFilters(q: ActivityFilterQuery): { filters: ActivityFilters; notes: string[] } {
    const notes: string[] = [];
    const filters: ActivityFilters = { action: q.action, outcome: q.outcome, ip: q.ip, from: q.from, to: q.to };
    if (q.user_id !== undefined) filters.by = [q.user_id];
    if (q.user !== undefined) {
      const account = repo.accountNamed(q.user);
      if (account) filters.by = filters.by && !filters.by.includes(account.id) ? [] : [account.id];
      else filters.byName = q.user;
    }
    if (q.about !== undefined) {
      const account = repo.accountNamed(q.about);
      filters.about = account ? [account.id] : [];
      if (!account) notes.push(`No account is called “${q.about}”.`);
    }
    return { filters, notes };
  }

  const exportRows = (f: Omit<ActivityFilters, 'beforeId'>) =>
    keysetChunks((beforeId) => repo.listPage({ ...f, beforeId }, EXPORT_CHUNK, 0));

  /** Seals the chain if it is not yet (at start), and says how it stands. */
  function sealChain() {
    const { seal, created } = activityLog.seal();
    return { created, keyedFromId: seal.keyed_from_id, legacyRows: seal.legacy_rows, keyMatches: sameMac(seal.key_check, chain.macs.keyCheck) };
  }

  /** Removes rows older than the retention period, leaving a signed checkpoint from which the chain continues. */
  function applyRetention(): number {
    const now = clock();
    return writeTransaction(db, () => {
      const last = chain.repo.lastRowBefore(isoTime(now - deps.retentionDays * DAY_MS));
      if (!last) return 0;
      chain.seal(isoTime(now));
      chain.addCheckpoint({ at: isoTime(now), up_to_id: last.id, last_hash: last.hash, removed: chain.repo.countUpTo(last.id) });
      return chain.repo.removeUpTo(last.id);
    });
  }

  return {
    list,
    exportRows,
    ...createFlagTriage({ db, activityLog, clock }),
    page,
    resolveFilters,
    /** What an account did and what was done to it, newest first. */
    timeline: (userId: number, limit: number, before?: number) => page({ involving: [userId] }, limit, before),
    /** The first record of the chain that does not verify under the chain key, or null. */
    verifyChain: () => verifyChain(chain),
    sealChain,
    applyRetention,
  };
}

export type ActivityService = ReturnType<typeof createActivityService>;

/**
 * How the chain stands under `chainKey`, for the operator scripts: the first record that does
 * not verify (null when intact), the rows, and where the keyed part of the chain begins.
 */
export function inspectChain(db: Db, chainKey: Buffer) {
  const chain = createChain({ repo: createChainRepo(db), key: chainKey });
  const seal = chain.repo.readSeal();
  return { problem: verifyChain(chain), rows: chain.repo.rowCount(), keyedFromId: seal?.keyed_from_id ?? null, legacyRows: seal?.legacy_rows ?? 0 };
}

export const firstChainProblem = (db: Db, chainKey: Buffer) => inspectChain(db, chainKey).problem;
