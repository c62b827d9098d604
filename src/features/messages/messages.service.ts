import { keysetChunks, type Db } from '../../db.js';
import { BadRequest, HttpError } from '../../http/errors.js';
import { dataScope } from '../../domain/permissions.js';
import type { EventsRepo } from '../activity/activity.log.js';
import { phoneSearch, readPhone } from '../contacts/phone.js';
import type { ActorContext } from '../../domain/principal.js';
import type { TeamLookup } from '../../domain/account.js';
import { createIdempotencyRepo } from './idempotency.repo.js';
import { createMessagesRepo, type MessageFilters, type NewMessage } from './messages.repo.js';
import { messageSchema } from './messages.schemas.js';

export interface Quotas {
  perMinute: number;
  perHour: number;
  perDestinationHour: number;
}

export class QuotaExceeded extends HttpError {
  constructor(readonly limit: string, label: string, readonly retryAfter: number) {
    super(429, `Rate limit exceeded: ${label}. Retry after ${retryAfter} seconds.`, { code: 'quota', retryAfterSeconds: retryAfter, limiter: 'message_quota' });
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

type Draft = Omit<NewMessage, 'senderId' | 'sentAt'>;
/** The filters as callers give them: `search` is text typed into the recipient filter. */
type ListFilters = Omit<MessageFilters, 'scope' | 'recipient' | 'beforeId'> & { search?: string };

export interface MessagesSettings {
  quotas: Quotas;
  /** Country for numbers written without one (see phone.ts); undefined reads them as international. */
  defaultCountry?: string;
}

/**
 * Validates one message body; `at` prefixes field names for bulk requests. The recipient is
 * stored in its canonical form, so every spelling of a number shares one per-destination quota.
 */
export function parseMessage(body: unknown, at = '', defaultCountry?: string): Draft {
  const parsed = messageSchema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = at + String(issue.path[0] ?? 'body');
    throw new BadRequest(issue.message, { [field]: issue.message });
  }
  const recipient = readPhone(parsed.data.recipient_phone, defaultCountry);
  if (!recipient.ok) {
    const message = `recipient_phone is not a phone number: ${recipient.reason}`;
    throw new BadRequest(message, { [at + 'recipient_phone']: message });
  }
  const recipientPhone = recipient.phone;
  const { message_content, attachment_path, template_used, status } = parsed.data;
  return { recipientPhone, messageContent: message_content, attachmentPath: attachment_path, templateUsed: template_used, status };
}

export function createMessagesService(db: Db, users: TeamLookup, events: EventsRepo, settings: MessagesSettings, clock: () => number = Date.now) {
  const { quotas, defaultCountry } = settings;
  const repo = createMessagesRepo(db);
  const idempotency = createIdempotencyRepo(db);
  const scopeOf = (actor: ActorContext) => dataScope(actor, users.workerIdsCreatedBy);

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
      const since = new Date(now - w.ms).toISOString();
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
      events.record({ action: 'message.quota_refused', outcome: 'denied', userId: actor.id, username: actor.username,
        loginRef: actor.loginRef ?? null, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null,
        detail: { limit: refused.limit, retry_after: refused.retryAfter, messages: drafts.length } });
      return refused;
    }
    const sentAt = new Date(now).toISOString();
    return drafts.map((d) => repo.insert({ ...d, senderId: actor.id, sentAt }));
  }

  /**
   * Stores messages if every quota allows the whole batch; the check and the insert share one
   * IMMEDIATE transaction, so parallel requests cannot overshoot. A refusal stores nothing
   * but the refusal's own record.
   */
  function log(actor: ActorContext, drafts: Draft[]): number[] {
    const result = db.transaction(() => storeBatch(actor, drafts, clock())).immediate();
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
    const result = db.transaction((): (Answer & { replayed: boolean }) | HttpError => {
      const now = clock();
      const seen = idempotency.findSince(actor.id, once.key, new Date(now - KEY_LIFETIME_MS).toISOString());
      if (seen) return seen.fingerprint === once.fingerprint ? { status: seen.status, body: seen.body, replayed: true } : new IdempotencyKeyReused();
      const stored = storeBatch(actor, drafts, now);
      if (stored instanceof QuotaExceeded) return stored;
      const first = answer(stored);
      idempotency.insert(actor.id, once.key, { ...first, fingerprint: once.fingerprint }, new Date(now).toISOString());
      return { ...first, replayed: false };
    }).immediate();
    if (result instanceof HttpError) throw result;
    return result;
  }

  /** Forgets keys past their 24 hours; run by the maintenance job. */
  const purgeIdempotencyKeys = () => idempotency.purgeUpTo(new Date(clock() - KEY_LIFETIME_MS).toISOString());

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

  /** A message body read with this deployment's DEFAULT_COUNTRY. */
  const parse = (body: unknown, at = '') => parseMessage(body, at, defaultCountry);

  return { parse, log, logOnce, purgeIdempotencyKeys, list, total, exportRows };
}

export type MessagesService = ReturnType<typeof createMessagesService>;
