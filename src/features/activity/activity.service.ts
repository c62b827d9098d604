import { isoTime, type Clock } from '../../clock.js';
import { keysetChunks, writeTransaction, type Db } from '../../db.js';
import type { ActorContext } from '../../domain/principal.js';
import { NotFound } from '../../errors.js';
import { createChain, sameMac } from './activity.chain.js';
import { createChainRepo } from './activity-chain.repo.js';
import type { ActivityLog } from './activity-log.service.js';
import { createActivityRepo, type ActivityFilters } from './activity.repo.js';
import { verifyChain } from './activity.verify.js';

const RISK_WINDOW_MS = 7 * 86_400_000;
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

  const exportRows = (f: Omit<ActivityFilters, 'beforeId'>) =>
    keysetChunks((beforeId) => repo.listPage({ ...f, beforeId }, EXPORT_CHUNK, 0));

  /** Acknowledges an open flag, recording who did it. */
  function acknowledge(actor: ActorContext, id: number) {
    const flag = repo.findFlag(id);
    if (!flag) throw new NotFound('Flag not found');
    writeTransaction(db, () => {
      if (!repo.acknowledge(id, actor.id, isoTime(clock()))) return;
      activityLog.append({ action: 'flag.acknowledge', outcome: 'success', userId: actor.id, username: actor.username,
        loginRef: actor.loginRef ?? null, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null,
        targetType: 'flag', targetId: id, detail: { rule: flag.rule } });
    });
    return repo.findFlag(id)!;
  }

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
    flags: (f: { acknowledged?: boolean; userId?: number; limit?: number }) => repo.flags({ ...f, limit: f.limit ?? 200 }),
    acknowledge,
    riskScore: (userId: number) => repo.riskScore(userId, isoTime(clock() - RISK_WINDOW_MS)),
    recentFor: (userId: number, limit = 20) => repo.listPage({ userId }, limit, 0),
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
