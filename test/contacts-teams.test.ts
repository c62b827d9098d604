import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { createContactsRepo } from '../src/features/contacts/contacts.repo.js';
import { count, insertUser, makeTestApp, type TestContext } from './helpers.js';

let ctx: TestContext;
type Who = 'admin' | 'managerA' | 'workerA' | 'managerB' | 'workerB';
const people = {} as Record<Who, { id: number; token: string }>;

const as = (who: Who) => ({
  sync: (contacts: object[], group = 'g') => request(ctx.app).post('/api/contacts/sync').set('Authorization', `Bearer ${people[who].token}`)
    .send({ contacts, source_group: group }),
  list: (query = '') => request(ctx.app).get(`/api/contacts${query}`).set('Authorization', `Bearer ${people[who].token}`),
});
const namesFor = async (who: Who, search: string) =>
  ((await as(who).list(`?search=${encodeURIComponent(search)}`)).body.contacts as Array<{ name: string }>).map((c) => c.name);
const sourceNames = () => ctx.db.prepare("SELECT scraped_by, name FROM contact_sources s JOIN contacts c ON c.id = s.contact_id WHERE c.phone = '+34612345678' ORDER BY scraped_by")
  .all() as Array<{ scraped_by: number; name: string }>;

before(async () => {
  ctx = await makeTestApp();
  const admin = await insertUser(ctx.db, { role: 'admin', isOwner: true });
  const managerA = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
  const managerB = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
  const workerA = await insertUser(ctx.db, { role: 'worker', createdBy: managerA.id });
  const workerB = await insertUser(ctx.db, { role: 'worker', createdBy: managerB.id });
  for (const [who, user] of Object.entries({ admin, managerA, workerA, managerB, workerB })) {
    const res = await request(ctx.app).post('/auth/login').send({ username: user.username, password: user.password });
    people[who as Who] = { id: user.id, token: res.body.access_token };
  }
});
after(() => ctx.close());

describe('a team syncing a phone another team already has', () => {
  before(async () => {
    await as('workerA').sync([{ phone: '+34 612 345 678', name: 'Alice Ally' }]);
    ctx.clock.now += 1000;
  });

  test('learns nothing (created, not updated) and renames nothing the other team sees', async () => {
    const res = await as('workerB').sync([{ phone: '0034612345678', name: 'Mallory Mask' }], 'other group');
    assert.deepEqual([res.body.created, res.body.updated, res.body.synced], [1, 0, 1]);
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM contacts WHERE phone = '+34612345678'"), 1, 'still one contact');
    assert.deepEqual(sourceNames(), [{ scraped_by: people.workerA.id, name: 'Alice Ally' }, { scraped_by: people.workerB.id, name: 'Mallory Mask' }]);

    for (const who of ['workerA', 'managerA'] as const) {
      assert.deepEqual(await namesFor(who, '612345678'), ['Alice Ally'], `${who} sees its own name`);
      assert.deepEqual(await namesFor(who, 'Alice'), ['Alice Ally']);
      assert.deepEqual(await namesFor(who, 'Mallory'), [], `${who} cannot find it by the other team's name`);
    }
    for (const who of ['workerB', 'managerB'] as const) {
      assert.deepEqual(await namesFor(who, '612345678'), ['Mallory Mask'], `${who} sees its own name`);
      assert.deepEqual(await namesFor(who, 'Ali'), [], `${who} cannot find it by the other team's name`);
      assert.equal((await as(who).list('?search=Alice')).body.total, 0);
    }
    assert.deepEqual(await namesFor('admin', '612345678'), ['Mallory Mask'], 'an admin sees the most recent name');
    assert.deepEqual(await namesFor('admin', 'Alice'), ['Mallory Mask'], 'an admin may find it by any name');
  });

  test('counts are each caller’s own: known to the team is updated, known only elsewhere is created', async () => {
    ctx.clock.now += 1000;
    const again = await as('workerB').sync([{ phone: '+34612345678', name: 'Mallory Mask' }], 'other group');
    assert.deepEqual([again.body.created, again.body.updated], [0, 1]);
    const manager = await as('managerA').sync([{ phone: '+34612345678' }, { phone: '+34699000001' }]);
    assert.deepEqual([manager.body.created, manager.body.updated], [1, 1], 'the manager already saw its worker’s contact');
    const admin = await as('admin').sync([{ phone: '+34612345678' }]);
    assert.deepEqual([admin.body.created, admin.body.updated], [0, 1], 'an admin sees every contact');
    assert.deepEqual(await namesFor('managerA', '612345678'), ['Alice Ally'], 'a sync without a name keeps the team’s name');
    const activity = ctx.db.prepare("SELECT detail FROM activity_log WHERE action = 'contacts.sync' AND user_id = ? ORDER BY id DESC").pluck().get(people.workerB.id) as string;
    assert.deepEqual([JSON.parse(activity).created, JSON.parse(activity).updated], [0, 1]);
  });

  test('the search indexes (the plan for large teams) keep names to their team as well', () => {
    const repo = createContactsRepo(ctx.db);
    for (const preferIndex of [true, false]) {
      const search = (scope: number[], text: string) => repo.listWithTotal({ scope, search: text, preferIndex, limit: 10, offset: 0 });
      assert.equal(search([people.workerB.id, people.managerB.id], 'Alice').total, 0, `preferIndex ${preferIndex}`);
      assert.deepEqual(search([people.workerA.id], 'Alice').contacts.map((c) => c.name), ['Alice Ally'], `preferIndex ${preferIndex}`);
      assert.deepEqual(search([people.workerA.id], 'Mallory').contacts, [], `preferIndex ${preferIndex}`);
    }
    ctx.db.exec("INSERT INTO contact_names_fts (contact_names_fts) VALUES ('integrity-check')");
  });

  test('parallel syncs of one new number by both teams make one contact, each team seeing its own name', async () => {
    const phone = '+34 699 123 456';
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      (i % 2 ? as('workerA') : as('workerB')).sync([{ phone, name: i % 2 ? 'Team A name' : 'Team B name' }])));
    assert.ok(results.every((r) => r.status === 200));
    for (const who of ['workerA', 'workerB'] as const) {
      const mine = results.filter((_, i) => (i % 2 ? 'workerA' : 'workerB') === who).map((r) => [r.body.created, r.body.updated]);
      assert.equal(mine.filter(([c]) => c === 1).length, 1, `${who} created it once, in its own view`);
      assert.equal(mine.filter(([, u]) => u === 1).length, 9);
    }
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM contacts WHERE phone = '+34699123456'"), 1);
    assert.deepEqual(await namesFor('workerA', '699123456'), ['Team A name']);
    assert.deepEqual(await namesFor('workerB', '699123456'), ['Team B name']);
    ctx.db.exec("INSERT INTO contacts_fts (contacts_fts) VALUES ('integrity-check')");
  });
});
