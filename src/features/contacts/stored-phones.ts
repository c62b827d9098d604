import { isoTime, systemClock, type Clock } from '../../clock.js';
import { writeTransaction, type Db } from '../../db.js';
import { canonicalPhone } from '../../phone.js';
import { createStoredPhonesRepo, type RunRecord } from './stored-phones.repo.js';

/**
 * Rewrites phones stored before they were canonical (an optional `+` and digits, as sent) into
 * E.164, once per DEFAULT_COUNTRY: contacts that become the same number merge into the oldest
 * (their sources, with their names, move onto it; the search indexes follow by trigger), and
 * message logs get the canonical recipient, so per-destination quotas count history too.
 * Phones that cannot be read stay as stored. One IMMEDIATE transaction: two processes starting
 * together run it once. Returns what it did, or null when it had already run.
 */
export function canonicaliseStoredPhones(db: Db, defaultCountry: string | undefined, clock: Clock = systemClock): RunRecord | null {
  const seen = new Map<string, string | null>();
  const canonical = (phone: string) => {
    let result = seen.get(phone);
    if (result === undefined) seen.set(phone, (result = canonicalPhone(phone, defaultCountry)));
    return result;
  };
  const repo = createStoredPhonesRepo(db, canonical);
  const key = defaultCountry ?? '';
  return writeTransaction(db, (): RunRecord | null => {
    if (repo.hasRun(key)) return null;
    const changes = repo.changes();
    const readable = changes.filter((c): c is typeof c & { canonical: string } => c.canonical !== null);
    const byNumber = new Map<string, typeof readable>();
    for (const c of readable) byNumber.set(c.canonical, [...(byNumber.get(c.canonical) ?? []), c]);
    let merged = 0;
    for (const [phone, rows] of byNumber) {
      const ids = rows.map((r) => r.id);
      const holder = repo.holderOf(phone);
      if (holder !== undefined) ids.push(holder);
      const keeper = Math.min(...ids);
      for (const id of ids) if (id !== keeper) repo.mergeInto(id, keeper);
      merged += ids.length - 1;
      if (keeper !== holder) repo.setPhone(keeper, phone);
    }
    const record: RunRecord = {
      defaultCountry: key, ranAt: isoTime(clock()), contactsChanged: readable.length, contactsMerged: merged,
      messagesChanged: repo.rewriteRecipients(), leftAsStored: changes.length - readable.length + repo.unreadableRecipients(),
    };
    repo.record(record);
    return record;
  });
}
