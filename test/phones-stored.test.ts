import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { migrate, openDatabase, readMigrations } from '../src/db.js';
import { canonicaliseStoredPhones } from '../src/features/contacts/stored-phones.js';
import { count, insertUser, makeTestApp, tempDir, type TestContext } from './helpers.js';

let ctx: TestContext;
const T0 = '2026-01-01T10:00:00.000Z';
const T1 = '2026-01-02T10:00:00.000Z';

function addContact(id: number, phone: string): void {
  ctx.db.prepare('INSERT INTO contacts (id, phone, created_at, updated_at) VALUES (?, ?, ?, ?)').run(id, phone, T0, T0);
}
function addSource(contactId: number, by: number, group: string, name: string | null, at: string): void {
  const id = contactId * 2 ** 20 + count(ctx.db, 'SELECT count(*) AS n FROM contact_sources WHERE contact_id = ?', contactId);
  ctx.db.prepare(`INSERT INTO contact_sources (scraped_by, contact_id, source_group, id, name, named_at, first_scraped_at, scraped_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(by, contactId, group, id, name, name ? at : null, at, at);
  ctx.db.prepare('INSERT INTO contact_names_fts (rowid, name) VALUES (?, ?)').run(id, name);
}

describe('canonicaliseStoredPhones over rows stored before phones were canonical', () => {
  let worker: { id: number; username: string; password: string };
  before(async () => {
    ctx = await makeTestApp({ RATE_LIMIT_MESSAGES_PER_DESTINATION_HOUR: '3' });
    worker = await insertUser(ctx.db, { role: 'worker' });
    const other = await insertUser(ctx.db, { role: 'worker' });
    // One number stored three ways, a twin source (same worker and group on two of them), and an unreadable phone.
    addContact(10, '15556660000');
    addContact(11, '+15556660000');
    addContact(12, '0015556660000');
    addContact(13, '0612345678');
    addSource(10, worker.id, 'g', 'Old name', T0);
    addSource(12, worker.id, 'g', 'Newer name', T1);
    addSource(11, other.id, 'h', 'Other team', T0);
    addSource(13, worker.id, 'g', 'Unreadable', T0);
    ctx.db.exec("INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild')");
    const now = new Date(ctx.clock.now - 60_000).toISOString();
    const log = ctx.db.prepare("INSERT INTO message_logs (sender_id, recipient_phone, status, sent_at) VALUES (?, ?, 'sent', ?)");
    for (const phone of ['15556660000', '0015556660000', '0612345678']) log.run(worker.id, phone, now);
  });
  after(() => ctx.close());

  test('merges contacts that are one number into the oldest, folding twin sources, and rewrites message recipients', () => {
    const record = canonicaliseStoredPhones(ctx.db, undefined, () => ctx.clock.now);
    assert.deepEqual({ ...record, ranAt: undefined }, { defaultCountry: '', ranAt: undefined, contactsChanged: 2, contactsMerged: 2, messagesChanged: 2, leftAsStored: 2 });
    assert.deepEqual(ctx.db.prepare('SELECT id, phone FROM contacts ORDER BY id').all(), [{ id: 10, phone: '+15556660000' }, { id: 13, phone: '0612345678' }]);
    assert.deepEqual(ctx.db.prepare('SELECT contact_id, source_group, name, first_scraped_at, scraped_at, id >> 20 AS owner FROM contact_sources WHERE contact_id = 10 ORDER BY source_group').all(), [
      { contact_id: 10, source_group: 'g', name: 'Newer name', first_scraped_at: T0, scraped_at: T1, owner: 10 },
      { contact_id: 10, source_group: 'h', name: 'Other team', first_scraped_at: T0, scraped_at: T0, owner: 10 },
    ]);
    assert.deepEqual(ctx.db.prepare('SELECT recipient_phone FROM message_logs ORDER BY id').pluck().all(), ['+15556660000', '+15556660000', '0612345678']);
    ctx.db.exec("INSERT INTO contacts_fts (contacts_fts) VALUES ('integrity-check')");
    ctx.db.exec("INSERT INTO contact_names_fts (contact_names_fts) VALUES ('integrity-check')");
  });

  test('runs once per DEFAULT_COUNTRY: a second start changes nothing', () => {
    const before = ctx.db.prepare('SELECT id, phone FROM contacts ORDER BY id').all();
    assert.equal(canonicaliseStoredPhones(ctx.db, undefined), null);
    assert.deepEqual(ctx.db.prepare('SELECT id, phone FROM contacts ORDER BY id').all(), before);
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM phone_canonicalisations'), 1);
    const withCountry = canonicaliseStoredPhones(ctx.db, 'FR');
    assert.deepEqual([withCountry?.contactsChanged, withCountry?.messagesChanged, withCountry?.leftAsStored], [1, 1, 0], 'a country makes the national number readable');
    assert.equal(ctx.db.prepare('SELECT phone FROM contacts WHERE id = 13').pluck().get(), '+33612345678');
  });

  test('the quota counts history in old spellings, and search finds merged contacts by their names', async () => {
    const token = (await request(ctx.app).post('/auth/login').send({ username: worker.username, password: worker.password })).body.access_token;
    const log = (phone: string) => request(ctx.app).post('/api/messages/log').set('Authorization', `Bearer ${token}`).send({ recipient_phone: phone });
    assert.equal((await log('+1 555 666 0000')).status, 201, 'two old sends plus this one fill a quota of 3');
    assert.equal((await log('15556660000')).status, 429);
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM message_logs WHERE recipient_phone = '+15556660000'"), 3);
    const found = await request(ctx.app).get('/api/contacts?search=newer').set('Authorization', `Bearer ${token}`);
    assert.deepEqual(found.body.contacts.map((c: { id: number; name: string }) => [c.id, c.name]), [[10, 'Newer name']]);
  });
});

describe('migration 006 on data from before it', () => {
  test('copies each contact’s shared name onto its sources and indexes names and phones', () => {
    const db = openDatabase(path.join(tempDir(), 'old.db'));
    try {
      migrate(db, readMigrations().filter((m) => m.version <= 5));
      db.exec(`INSERT INTO users (id, username, password_hash, role, is_owner, created_at, updated_at) VALUES (1, 'user1', '$argon2id$x', 'worker', 0, '${T0}', '${T0}'), (2, 'user2', '$argon2id$x', 'worker', 0, '${T0}', '${T0}');
        INSERT INTO contacts (id, phone, name, created_at, updated_at) VALUES (5, '+34612345678', 'Shared', '${T0}', '${T0}'), (6, '+34612345679', NULL, '${T0}', '${T0}');
        INSERT INTO contact_sources (scraped_by, contact_id, source_group, first_scraped_at, scraped_at) VALUES (1, 5, '', '${T0}', '${T0}'), (2, 5, 'g', '${T0}', '${T1}'), (1, 6, '', '${T0}', '${T0}');
        INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild');`);
      migrate(db);
      assert.deepEqual(db.prepare('SELECT id, contact_id, scraped_by, name, named_at FROM contact_sources ORDER BY id').all(), [
        { id: 5 * 2 ** 20, contact_id: 5, scraped_by: 1, name: 'Shared', named_at: T0 },
        { id: 5 * 2 ** 20 + 1, contact_id: 5, scraped_by: 2, name: 'Shared', named_at: T1 },
        { id: 6 * 2 ** 20, contact_id: 6, scraped_by: 1, name: null, named_at: null },
      ]);
      assert.deepEqual(db.prepare('SELECT rowid >> 20 AS c FROM contact_names_fts WHERE contact_names_fts MATCH \'"shared"\'').pluck().all(), [5, 5]);
      assert.deepEqual(db.prepare('SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH \'"5679"\'').pluck().all(), [6]);
    } finally {
      db.close();
    }
  });
});
