import { isoTime, type Clock } from '../../clock.js';
import { writeTransaction, type Db } from '../../db.js';
import { SEVERITIES, SEVERITY_WEIGHT, type Severity } from '../../domain/activity.js';
import type { ActorContext } from '../../domain/principal.js';
import { BadRequest, NotFound } from '../../errors.js';
import type { ActivityLog } from './activity-log.service.js';
import { createFlagsRepo, type Flag, type FlagEvent, type FlagFilters } from './activity-flags.repo.js';

const RISK_WINDOW_DAYS = 7;
const DAY_MS = 86_400_000;
/** Rows shown under each flag of a page; the rest are counted. */
const EVENTS_PER_FLAG = 10;
const RISK_PARTS_SHOWN = 20;

export interface TriagedFlag extends Flag {
  events: FlagEvent[];
}

/** Which open flags make up a user's risk score, each with what it adds. */
export interface RiskExplained {
  score: number;
  windowDays: number;
  /** How many open flags of each severity, highest first, with the weight of one. */
  bySeverity: Array<{ severity: Severity; count: number; weight: number }>;
  /** The newest of them (at most RISK_PARTS_SHOWN); `more` says how many are left out. */
  flags: Array<Flag & { weight: number }>;
  more: number;
}

export interface Acknowledged {
  /** The flags this call acknowledged, one activity row each. */
  acknowledged: number[];
  /** The ones someone had acknowledged already (perhaps a moment before): left as they were. */
  already: number[];
}

/** Triage of the anomaly flags: reading them with what raised them, acknowledging one or many with a note, the risk score explained. */
export function createFlagTriage(deps: { db: Db; activityLog: ActivityLog; clock: Clock }) {
  const { db, activityLog, clock } = deps;
  const repo = createFlagsRepo(db);

  function page(f: FlagFilters, limit: number, offset: number): { flags: TriagedFlag[]; total: number } {
    const flags = repo.list(f, limit, offset);
    const events = repo.eventsOf(flags.map((x) => x.id), EVENTS_PER_FLAG);
    return { flags: flags.map((x) => ({ ...x, events: events.filter((e) => e.flagId === x.id) })), total: repo.count(f) };
  }

  /**
   * Acknowledges the flags all at once, with the note: one activity row for each flag this call
   * acknowledged. An id that is no flag refuses the lot. Two admins acknowledging the same flags
   * at once each acknowledge the ones the other had not (the write lock decides), never twice.
   */
  function acknowledgeFlags(actor: ActorContext, ids: number[], note: string | null): Acknowledged {
    const wanted = [...new Set(ids)];
    return writeTransaction(db, () => {
      const flags = repo.byIds(wanted);
      const missing = wanted.filter((id) => !flags.some((f) => f.id === id));
      if (missing.length > 0) {
        const message = `No flag has the id ${missing.join(', ')}; nothing was acknowledged`;
        throw new BadRequest(message, { flag_ids: message });
      }
      const at = isoTime(clock());
      const acknowledged: number[] = [];
      for (const flag of flags) {
        if (!repo.acknowledge(flag.id, actor.id, at, note)) continue;
        acknowledged.push(flag.id);
        activityLog.append({ action: 'flag.acknowledge', outcome: 'success', userId: actor.id, username: actor.username,
          loginRef: actor.loginRef ?? null, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null,
          targetType: 'flag', targetId: flag.id, targetName: flag.rule, detail: { rule: flag.rule, ...(note ? { note } : {}) } });
      }
      return { acknowledged, already: wanted.filter((id) => !acknowledged.includes(id)) };
    });
  }

  /** Acknowledges one flag (404 if there is none); answers it as it stands after. */
  function acknowledge(actor: ActorContext, id: number, note: string | null = null): Flag {
    if (repo.byIds([id]).length === 0) throw new NotFound('Flag not found');
    acknowledgeFlags(actor, [id], note);
    return repo.byIds([id])[0]!;
  }

  function riskOf(userId: number): RiskExplained {
    const since = isoTime(clock() - RISK_WINDOW_DAYS * DAY_MS);
    const counts = new Map(repo.openOfUserBySeverity(userId, since).map((r) => [r.severity, r.n]));
    const bySeverity = [...SEVERITIES].reverse().filter((s) => counts.has(s))
      .map((severity) => ({ severity, count: counts.get(severity)!, weight: SEVERITY_WEIGHT[severity] }));
    const flags = repo.openOfUser(userId, since, RISK_PARTS_SHOWN).map((f) => ({ ...f, weight: SEVERITY_WEIGHT[f.severity] }));
    const total = bySeverity.reduce((n, s) => n + s.count, 0);
    return { score: bySeverity.reduce((sum, s) => sum + s.count * s.weight, 0), windowDays: RISK_WINDOW_DAYS, bySeverity, flags, more: total - flags.length };
  }

  return {
    flagsPage: page,
    /** Newest first, without the rows behind them (the API's listing). */
    listFlags: (f: FlagFilters, limit: number, offset: number) => ({ flags: repo.list(f, limit, offset), total: repo.count(f) }),
    /** How many flags are open, by severity. */
    openFlagCounts: () => Object.fromEntries(repo.openBySeverity().map((r) => [r.severity, r.n])) as Partial<Record<Severity, number>>,
    acknowledgeFlags,
    acknowledge,
    riskOf,
  };
}
