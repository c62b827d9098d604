import { aboutAccount } from '../../domain/activity.js';
import { isoTime, type Clock } from '../../clock.js';
import { keysetChunks, writeTransaction, type Db } from '../../db.js';
import type { TeamLookup } from '../../domain/account.js';
import { dataScope } from '../../domain/permissions.js';
import type { ActorContext } from '../../domain/principal.js';
import { HttpError } from '../../errors.js';
import { phoneSearch } from '../../phone.js';
import type { ActivityLog } from '../activity/activity-log.service.js';
import { createIdempotencyRepo } from './idempotency.repo.js';
import { createMessagesRepo, type MessageFilters } from './messages.repo.js';
import type { MessageDraft } from './messages.schemas.js';

export interface Quotas {
  perMinute: number;
  perHour: number;
  perDestinationHour: number;
}

/** The original contract's quota refusal: `error`, the `limit` hit and `retry_after`, plus Retry-After. */
export class QuotaExceeded extends HttpError {
  constructor(readonly limit: string, label: string, readonly retryAfter: number) {
    super(429, `Rate limit exceeded: ${label}. Retry after ${retryAfter} seconds.`,
      { retryAfterSeconds: retryAfter, limiter: 'message_quota', body: { limit, retry_after: retryAfter } });
  }
}

/** The same Idempotency-Key was sent with a different request. */
export class IdempotencyKeyReused extends HttpError {
  constructor() {
    super(422, 'Idempotency-Key was already used with a different request; use a new key for a new request',
      { code: 'idempotency_key_reused', fields: { 'Idempotency-Key': 'already used with a different request' } });
  }
}

/** A caller's Idempotency-Key and the fingerprint (endpoint and body) of its request. */
export interface Once {
  key: string;
  fingerprint: string;
}

export interface Answer {
  status: number;
  body: unknown;
}

const EXPORT_CHUNK = 2000;
const KEY_LIFETIME_MS = 24 * 3_600_000;

type Draft = MessageDraft;
/** The filters as callers give them: `search` is text typed into the recipient filter. */
type ListFilters = Omit<MessageFilters, 'scope' | 'recipient' | 'beforeId'> & { search?: string };

export interface MessagesServiceDeps {
  /** The data connection (synchronous=NORMAL by default): message logs are not security state. */
  db: Db;
  team: TeamLookup;
  activityLog: ActivityLog;
  quotas: Quotas;
  /** Country for numbers written without one (see phone.ts); undefined reads them as international. */
  defaultCountry: string | undefined;
  clock: Clock;
}

/** The message log: every send the main app makes, where the sending quotas are enforced. */
export function createMessagesService(deps: MessagesServiceDeps) {
  const { db, quotas, defaultCountry, clock, activityLog } = deps;
  const repo = createMessagesRepo(db);
  const idempotency = createIdempotencyRepo(db);
  const scopeOf = (actor: ActorContext) => dataScope(actor, (managerId) => deps.team.workerIdsCreatedBy(managerId));

  /** The first quota the batch would break, with the seconds until enough slots free. */
  function breach(sender: number, drafts: Draft[], now: number): QuotaExceeded | null {
    const perRecipient = new Map<string, number>();
    for (const d of drafts) perRecipient.set(d.recipientPhone, (perRecipient.get(d.recipientPhone) ?? 0) + 1);
    const windows: Array<{ code: string; label: string; ms: number; limit: number; adding: number; phone?: string }> = [
      { code: 'per_minute', label: `per-minute limit (${quotas.perMinute}/minute)`, ms: 60_000, limit: quotas.perMinute, adding: drafts.length },
      { code: 'per_hour', label: `per-hour limit (${quotas.perHour}/hour)`, ms: 3_600_000, limit: quotas.perHour, adding: drafts.length },
      ...[...perRecipient].map(([phone, adding]) => ({ code: 'per_destination_hour',
        label: `per-destination limit (${quotas.perDestinationHour}/hour)`, ms: 3_600_000, limit: quotas.perDestinationHour, adding, phone })),
    ];
    for (const w of windows) {
      const since = isoTime(now - w.ms);
      const used = repo.countSince(sender, since, w.phone);
      if (used + w.adding <= w.limit) continue;
      let seconds = Math.ceil(w.ms / 1000);
      if (w.adding <= w.limit) {
        const freesAt = repo.nthSince(sender, since, used + w.adding - w.limit - 1, w.phone);
        if (freesAt) seconds = Math.max(1, Math.ceil((Date.parse(freesAt) + w.ms - now) / 1000));
      }
      return new QuotaExceeded(w.code, w.label, seconds);
    }
    return null;
  }

  /** Inside a transaction: stores the batch if every quota allows it, or records the refusal. */
  function storeBatch(actor: ActorContext, drafts: Draft[], now: number): number[] | QuotaExceeded {
    const refused = breach(actor.id, drafts, now);
    if (refused) {
      activityLog.append({ action: 'message.quota_refused', outcome: 'denied', userId: actor.id, username: actor.username,
        ...aboutAccount(actor),
        loginRef: actor.loginRef ?? null, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null,
        detail: { limit: refused.limit, retry_after: refused.retryAfter, messages: drafts.length } });
      return refused;
    }
    const sentAt = isoTime(now);
    return drafts.map((d) => repo.insert({ ...d, senderId: actor.id, sentAt }));
  }

  /**
   * Stores messages if every quota allows the whole batch; the check and the insert share one
   * IMMEDIATE transaction, so parallel requests cannot overshoot. A refusal stores nothing
   * but the refusal's own record.
   */
  function log(actor: ActorContext, drafts: Draft[]): number[] {
    const result = writeTransaction(db, () => storeBatch(actor, drafts, clock()));
    if (result instanceof QuotaExceeded) throw result;
    return result;
  }

  /**
   * log() under an Idempotency-Key: a key seen from this caller within 24 hours returns its first
   * answer and stores nothing. Lookup, messages and key share one IMMEDIATE transaction, so
   * parallel retries wait for the first and then replay it, and a crash keeps both or neither.
   * Only a success is kept: after a quota refusal the same key can succeed later.
   */
  function logOnce(actor: ActorContext, drafts: Draft[], once: Once, answer: (ids: number[]) => Answer): Answer & { replayed: boolean } {
    const result = writeTransaction(db, (): (Answer & { replayed: boolean }) | HttpError => {
      const now = clock();
      const seen = idempotency.findSince(actor.id, once.key, isoTime(now - KEY_LIFETIME_MS));
      if (seen) return seen.fingerprint === once.fingerprint ? { status: seen.status, body: seen.body, replayed: true } : new IdempotencyKeyReused();
      const stored = storeBatch(actor, drafts, now);
      if (stored instanceof QuotaExceeded) return stored;
      const first = answer(stored);
      idempotency.insert(actor.id, once.key, { ...first, fingerprint: once.fingerprint }, isoTime(now));
      return { ...first, replayed: false };
    });
    if (result instanceof HttpError) throw result;
    return result;
  }

  /** Forgets keys past their 24 hours; run by the maintenance job. */
  const purgeIdempotencyKeys = () => idempotency.purgeUpTo(isoTime(clock() - KEY_LIFETIME_MS));

  /** The recipient filter matches any spelling of a number, or a fragment of one. */
  const filtersOf = (actor: ActorContext, f: ListFilters): MessageFilters => {
    const { search, ...rest } = f;
    return { ...rest, scope: scopeOf(actor), recipient: search ? phoneSearch(search, defaultCountry) ?? { fragment: search, exact: null } : undefined };
  };

  function list(actor: ActorContext, f: ListFilters, limit: number, offset: number) {
    const filters = filtersOf(actor, f);
    return { messages: repo.listPage(filters, limit, offset), total: repo.count(filters) };
  }

  const total = (actor: ActorContext, f: ListFilters = {}) => repo.count(filtersOf(actor, f));
  /** Every matching message, newest first, fetched in keyset chunks (no query held open). */
  function exportRows(actor: ActorContext, f: ListFilters) {
    const filters = filtersOf(actor, f);
    return keysetChunks((beforeId) => repo.listPage({ ...filters, beforeId }, EXPORT_CHUNK, 0));
  }

  return { log, logOnce, purgeIdempotencyKeys, list, total, exportRows };
}

export type MessagesService = ReturnType<typeof createMessagesService>;
