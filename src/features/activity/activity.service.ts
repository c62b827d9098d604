import { keysetChunks, type Db } from '../../db.js';
import { NotFound } from '../../http/errors.js';
import type { ActorContext } from '../../domain/principal.js';
import { createChainStore, sameMac } from './activity.chain.js';
import type { EventsRepo } from './activity.log.js';
import { createActivityRepo, type ActivityFilters } from './activity.repo.js';

const RISK_WINDOW_MS = 7 * 86_400_000;
const EXPORT_CHUNK = 2000;

export function createActivityService(db: Db, events: EventsRepo, retentionDays: number, clock: () => number = Date.now) {
  const repo = createActivityRepo(db, events.chain);
  const iso = (ms: number) => new Date(ms).toISOString();

  function list(f: ActivityFilters, limit: number, offset: number) {
    return { events: repo.listPage(f, limit, offset), total: repo.count(f) };
  }

  const exportRows = (f: Omit<ActivityFilters, 'beforeId'>) =>
    keysetChunks((beforeId) => repo.listPage({ ...f, beforeId }, EXPORT_CHUNK, 0));

  /** Acknowledges an open flag, recording who did it. */
  function acknowledge(actor: ActorContext, id: number) {
    const flag = repo.findFlag(id);
    if (!flag) throw new NotFound('Flag not found');
    db.transaction(() => {
      if (repo.acknowledge(id, actor.id, iso(clock()))) {
        events.record({ action: 'flag.acknowledge', outcome: 'success', userId: actor.id, username: actor.username,
          loginRef: actor.loginRef ?? null, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null,
          targetType: 'flag', targetId: id, detail: { rule: flag.rule } });
      }
    }).immediate();
    return repo.findFlag(id)!;
  }

  /** Seals the chain if it is not yet (at start), and says how it stands. */
  function sealChain() {
    const { seal, created } = events.seal();
    return { created, keyedFromId: seal.keyed_from_id, legacyRows: seal.legacy_rows, keyMatches: sameMac(seal.key_check, events.chain.macs.keyCheck) };
  }

  return {
    list,
    exportRows,
    flags: (f: { acknowledged?: boolean; userId?: number; limit?: number }) => repo.flags({ ...f, limit: f.limit ?? 200 }),
    acknowledge,
    riskScore: (userId: number) => repo.riskScore(userId, iso(clock() - RISK_WINDOW_MS)),
    recentFor: (userId: number, limit = 20) => repo.listPage({ userId }, limit, 0),
    verifyChain: () => repo.firstProblem(),
    sealChain,
    applyRetention: () => repo.applyRetention(iso(clock() - retentionDays * 86_400_000), iso(clock())),
  };
}

export type ActivityService = ReturnType<typeof createActivityService>;

/** The first row where the activity chain does not verify (null when intact), for `npm run check`. */
export function firstChainProblem(db: Db, chainKey: Buffer) {
  return createActivityRepo(db, createChainStore(db, chainKey)).firstProblem();
}
