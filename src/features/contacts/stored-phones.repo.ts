import type { Db } from '../../db.js';
import { SOURCE_ID_SHIFT } from './contacts-search.repo.js';

export interface RunRecord {
  defaultCountry: string;
  ranAt: string;
  contactsChanged: number;
  contactsMerged: number;
  messagesChanged: number;
  leftAsStored: number;
}

/**
 * The one-off rewrite of stored phones into their canonical form. It spans contacts, their
 * sources and message logs because a number's rows must move together; `canonical` is the
 * application's reading of a stored phone (null when it cannot be read), exposed to SQL.
 */
export function createStoredPhonesRepo(db: Db, canonical: (phone: string) => string | null) {
  db.function('nexus_canonical_phone', { deterministic: true }, (phone: unknown) => (typeof phone === 'string' ? canonical(phone) : null));
  const ran = db.prepare<{ key: string }, number>('SELECT 1 FROM phone_canonicalisations WHERE default_country = @key').pluck();
  const changes = db.prepare<[], { id: number; phone: string; canonical: string | null }>(`SELECT id, phone, nexus_canonical_phone(phone) AS canonical
    FROM contacts WHERE nexus_canonical_phone(phone) IS NOT phone ORDER BY id`);
  const holder = db.prepare<{ phone: string }, number>('SELECT id FROM contacts WHERE phone = @phone').pluck();
  // A syncer's source on both contacts becomes one: the earliest first sight, the latest sight,
  // and the name given last.
  const foldTwins = db.prepare(`UPDATE contact_sources AS k SET first_scraped_at = min(k.first_scraped_at, o.first_scraped_at),
      scraped_at = max(k.scraped_at, o.scraped_at),
      name = iif(coalesce(o.named_at, '') > coalesce(k.named_at, ''), o.name, k.name),
      named_at = iif(coalesce(o.named_at, '') > coalesce(k.named_at, ''), o.named_at, k.named_at)
    FROM contact_sources AS o
    WHERE o.contact_id = @from AND k.contact_id = @to AND k.scraped_by = o.scraped_by AND k.source_group = o.source_group`);
  const dropTwins = db.prepare(`DELETE FROM contact_sources WHERE contact_id = @from AND EXISTS (SELECT 1 FROM contact_sources k
      WHERE k.contact_id = @to AND k.scraped_by = contact_sources.scraped_by AND k.source_group = contact_sources.source_group)`);
  const sourcesOf = db.prepare<{ from: number }, { scraped_by: number; source_group: string }>(
    'SELECT scraped_by, source_group FROM contact_sources WHERE contact_id = @from');
  const nextId = db.prepare<{ to: number }, number>(`SELECT coalesce(max(id) + 1, @to << ${SOURCE_ID_SHIFT}) FROM contact_sources
    WHERE id BETWEEN @to << ${SOURCE_ID_SHIFT} AND ((@to + 1) << ${SOURCE_ID_SHIFT}) - 1`).pluck();
  const moveSource = db.prepare(`UPDATE contact_sources SET contact_id = @to, id = @id
    WHERE contact_id = @from AND scraped_by = @scraped_by AND source_group = @source_group`);
  const deleteContact = db.prepare('DELETE FROM contacts WHERE id = @id');
  const setPhone = db.prepare('UPDATE contacts SET phone = @phone WHERE id = @id');
  const rewriteRecipients = db.prepare(`UPDATE message_logs SET recipient_phone = nexus_canonical_phone(recipient_phone)
    WHERE nexus_canonical_phone(recipient_phone) IS NOT NULL AND nexus_canonical_phone(recipient_phone) IS NOT recipient_phone`);
  const unreadableRecipients = db.prepare<[], number>('SELECT count(*) FROM message_logs WHERE nexus_canonical_phone(recipient_phone) IS NULL').pluck();
  const record = db.prepare(`INSERT INTO phone_canonicalisations
      (default_country, ran_at, contacts_changed, contacts_merged, messages_changed, left_as_stored)
    VALUES (@defaultCountry, @ranAt, @contactsChanged, @contactsMerged, @messagesChanged, @leftAsStored)`);

  return {
    hasRun: (key: string): boolean => ran.get({ key }) !== undefined,
    /** Contacts whose stored phone is not its canonical form (canonical null: unreadable). */
    changes: () => changes.all(),
    holderOf: (phone: string): number | undefined => holder.get({ phone }),
    /** Moves every source of contact `from` onto contact `to`, then removes `from`. */
    mergeInto: (from: number, to: number): void => {
      foldTwins.run({ from, to });
      dropTwins.run({ from, to });
      for (const s of sourcesOf.all({ from })) moveSource.run({ ...s, from, to, id: nextId.get({ to })! });
      deleteContact.run({ id: from });
    },
    setPhone: (id: number, phone: string): void => {
      setPhone.run({ id, phone });
    },
    rewriteRecipients: (): number => rewriteRecipients.run().changes,
    unreadableRecipients: (): number => unreadableRecipients.get()!,
    record: (r: RunRecord): void => {
      record.run(r);
    },
  };
}
