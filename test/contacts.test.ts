import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { count, insertUser, makeTestApp, signIn, type TestContext } from './helpers.js';

let ctx: TestContext;
const people = {} as Record<'admin' | 'manager1' | 'manager2' | 'worker1' | 'worker2' | 'worker3', { id: number; username: string; password: string; token: string }>;

const api = (who: keyof typeof people) => ({
  sync: (body: unknown) => request(ctx.app).post('/api/contacts/sync').set('Authorization', `Bearer ${people[who].token}`).send(body as object),
  list: (query = '') => request(ctx.app).get(`/api/contacts${query}`).set('Authorization', `Bearer ${people[who].token}`),
  stats: () => request(ctx.app).get('/api/contacts/stats').set('Authorization', `Bearer ${people[who].token}`),
});
const sourceNames = (contactId: number) => ctx.db.prepare(`SELECT scraped_by, source_group, name FROM contact_sources
  WHERE contact_id = ? ORDER BY named_at, source_group`).all(contactId) as Array<{ scraped_by: number; source_group: string; name: string | null }>;
const phones = (res: request.Response) => (res.body.contacts as Array<{ phone: string }>).map((c) => c.phone).sort();

before(async () => {
  ctx = await makeTestApp();
  const admin = await insertUser(ctx.db, { role: 'admin', isOwner: true });
  const manager1 = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
  const manager2 = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
  const worker1 = await insertUser(ctx.db, { role: 'worker', createdBy: manager1.id });
  const worker2 = await insertUser(ctx.db, { role: 'worker', createdBy: manager1.id });
  const worker3 = await insertUser(ctx.db, { role: 'worker', createdBy: manager2.id });
  for (const [name, user] of Object.entries({ admin, manager1, manager2, worker1, worker2, worker3 })) {
    const res = await request(ctx.app).post('/auth/login').send({ username: user.username, password: user.password });
    people[name as keyof typeof people] = { ...user, token: res.body.access_token };
  }
});
after(() => ctx.close());

describe('POST /api/contacts/sync', () => {
  test('canonicalises phones, upserts by phone, keeps ids, and reports what it did', async () => {
    const first = await api('worker1').sync({ source_group: 'Group A', contacts: [
      { phone: '+34 612-345-678', name: 'Ana' }, { number: '(0044) 7700 900123', name: 'Ben' }, { phone: 'call me', name: 'X' }, { name: 'no phone' },
      { phone: '+33 1234' },
    ] });
    assert.equal(first.status, 200);
    assert.deepEqual(first.body, { message: 'Synced 2 contacts', synced: 2, created: 2, updated: 0,
      skipped: [{ index: 2, reason: 'not a phone number' }, { index: 3, reason: 'phone is missing' }, { index: 4, reason: 'too short for its country' }] });
    const ana = ctx.db.prepare("SELECT id FROM contacts WHERE phone = '+34612345678'").pluck().get() as number;
    assert.deepEqual(sourceNames(ana), [{ scraped_by: people.worker1.id, source_group: 'Group A', name: 'Ana' }]);
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM contacts WHERE phone = '+447700900123'"), 1, '00 prefix read as international');

    const again = await api('worker1').sync({ source_group: 'Group A', contacts: [{ phone: '+34612345678', name: '' }, { phone: '0034612345678' }] });
    assert.deepEqual([again.body.created, again.body.updated, again.body.synced], [0, 1, 1]);
    assert.equal(ctx.db.prepare("SELECT id FROM contacts WHERE phone = '+34612345678'").pluck().get(), ana, 'same id');
    assert.deepEqual(sourceNames(ana).map((s) => s.name), ['Ana'], 'an empty name does not erase the stored one');

    ctx.clock.now += 1000;
    await api('worker1').sync({ contacts: [{ phone: '+34612345678', name: 'Ana María' }] });
    assert.deepEqual(sourceNames(ana).map((s) => s.name), ['Ana', 'Ana María'], 'one row per (worker, group), each with its name');
    assert.equal((await api('worker1').list('?search=612345678')).body.contacts[0].name, 'Ana María', 'the latest name is shown');
    assert.ok(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'contacts.sync' AND user_id = ?", people.worker1.id) >= 3);
  });

  test('a phone listed twice, in any spelling, is one contact with the last name given, and the search index stays consistent', async () => {
    const res = await api('admin').sync({ contacts: [
      { phone: '+33700000001', name: 'First Name' }, { phone: '+33 7 00 00 00 01', name: 'Second Name' }, { phone: '0033700000001' },
    ] });
    assert.deepEqual([res.body.created, res.body.updated, res.body.synced], [1, 0, 1]);
    assert.deepEqual(phones(await api('admin').list('?search=second name')), ['+33700000001']);
    await api('admin').sync({ contacts: [{ phone: '+33700000001', name: 'Renamed Later' }] });
    assert.deepEqual(phones(await api('admin').list('?search=renamed')), ['+33700000001']);
    assert.deepEqual(phones(await api('admin').list('?search=second name')), []);
    ctx.db.exec("INSERT INTO contact_names_fts (contact_names_fts) VALUES ('integrity-check')");
    ctx.db.exec("INSERT INTO contacts_fts (contacts_fts) VALUES ('integrity-check')");
  });

  test('an empty, missing, oversized or malformed list answers 400 and stores nothing', async () => {
    const before = count(ctx.db, 'SELECT count(*) AS n FROM contacts');
    const empty = await api('worker1').sync({ contacts: [] });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error, 'No contacts provided');
    assert.equal((await api('worker1').sync({})).body.error, 'No contacts provided');
    const many = await api('worker1').sync({ contacts: Array.from({ length: 10_001 }, (_, i) => ({ phone: `+1555${String(i).padStart(7, '0')}` })) });
    assert.equal(many.status, 400);
    assert.match(many.body.error, /At most 10000/);
    const notList = await api('worker1').sync({ contacts: 'lots' });
    assert.equal(notList.status, 400);
    assert.ok(notList.body.fields.contacts);
    const badGroup = await api('worker1').sync({ contacts: [{ phone: '+15550001111' }], source_group: 42 });
    assert.equal(badGroup.status, 400);
    assert.ok(badGroup.body.fields.source_group);
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM contacts'), before);
    assert.equal((await request(ctx.app).post('/api/contacts/sync').send({ contacts: [{ phone: '+15550001111' }] })).status, 401);
  });
});

describe('who sees which contacts', () => {
  before(async () => {
    await api('worker2').sync({ source_group: 'Team 1', contacts: [{ phone: '+4911111111', name: 'Of worker two' }] });
    await api('worker3').sync({ source_group: 'Team 2', contacts: [{ phone: '+4922222222', name: 'Of worker three' }] });
    await api('manager2').sync({ contacts: [{ phone: '+4933333333', name: 'Of manager two' }] });
  });

  test('a worker sees the contacts they synced, a manager their team’s, an admin all', async () => {
    const w2 = await api('worker2').list();
    assert.deepEqual(phones(w2), ['+4911111111']);
    assert.equal(w2.body.total, 1);
    const m1 = phones(await api('manager1').list('?limit=500'));
    assert.ok(m1.includes('+4911111111') && m1.includes('+34612345678'));
    assert.ok(!m1.includes('+4922222222') && !m1.includes('+4933333333'));
    assert.deepEqual(phones(await api('manager2').list()), ['+4922222222', '+4933333333']);
    const all = await api('admin').list('?limit=500');
    assert.equal(all.body.total, count(ctx.db, 'SELECT count(*) AS n FROM contacts'));
    assert.deepEqual((await api('worker3').stats()).body, { total_contacts: 1 });
    assert.deepEqual((await api('manager2').stats()).body, { total_contacts: 2 });
  });

  test('the listed fields follow the contract, with the source the caller may see', async () => {
    const res = await api('worker2').list();
    assert.deepEqual(Object.keys(res.body).sort(), ['contacts', 'limit', 'offset', 'total']);
    const [c] = res.body.contacts;
    assert.deepEqual(Object.keys(c).sort(), ['id', 'name', 'phone', 'scraped_at', 'scraped_by', 'source_group']);
    assert.deepEqual([c.source_group, c.scraped_by], ['Team 1', people.worker2.id]);
  });
});

describe('GET /api/contacts search and paging', () => {
  before(async () => {
    await api('admin').sync({ contacts: [
      { phone: '+15551230001', name: 'Zoë Percent 100% sure' }, { phone: '+15551230002', name: 'under_score' },
      { phone: '+15551230003', name: 'underXscore' }, { phone: '+15551230004', name: 'ZOË upper' },
    ] });
  });

  test('search matches name or phone, any case, with % and _ taken literally', async () => {
    assert.deepEqual(phones(await api('admin').list('?search=zoë')), ['+15551230001', '+15551230004']);
    assert.deepEqual(phones(await api('admin').list('?search=' + encodeURIComponent('100%'))), ['+15551230001']);
    assert.deepEqual(phones(await api('admin').list('?search=r_s')), ['+15551230002']);
    assert.deepEqual(phones(await api('admin').list('?search=_')), ['+15551230002'], 'short searches too');
    const byPhone = await api('admin').list('?search=5551230');
    assert.equal(byPhone.body.total, 4);
    assert.deepEqual(phones(await api('worker2').list('?search=5551230')), [], 'search stays within what the caller may see');
  });

  test('limit and offset page through, and total ignores them', async () => {
    const page = await api('admin').list('?search=5551230&limit=3&offset=2');
    assert.equal(page.body.contacts.length, 2);
    assert.deepEqual([page.body.total, page.body.limit, page.body.offset], [4, 3, 2]);
    assert.equal((await api('admin').list()).body.limit, 100, 'default limit');
  });

  test('a bad limit or offset answers 400 naming the field', async () => {
    for (const [query, field] of [['?limit=0', 'limit'], ['?limit=501', 'limit'], ['?limit=ten', 'limit'], ['?limit=1.5', 'limit'], ['?offset=-1', 'offset']]) {
      const res = await api('admin').list(query);
      assert.equal(res.status, 400, query);
      assert.ok(res.body.fields[field!], JSON.stringify(res.body));
    }
  });
});

describe('contacts page', () => {
  test('shows what the manager may see, escapes names, and downloads exactly the current filter as CSV', async () => {
    await api('worker1').sync({ source_group: '<b>grp</b>', contacts: [
      { phone: '+447700000001', name: '<script>alert(1)</script>' }, { phone: '+447700000002', name: '=HYPERLINK("http://x")' },
    ] });
    const agent = request.agent(ctx.app);
    await signIn(agent, people.manager1.username, people.manager1.password);
    const page = await agent.get('/contacts?search=4477000000');
    assert.equal(page.status, 200);
    assert.match(page.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.doesNotMatch(page.text, /<script>alert/);
    assert.match(page.text, /2 contacts match/);
    assert.doesNotMatch(page.text, /\+4922222222/);

    const csv = await agent.get('/contacts.csv?search=4477000000');
    assert.equal(csv.status, 200);
    assert.match(csv.headers['content-type'] ?? '', /text\/csv/);
    assert.match(csv.headers['content-disposition'] ?? '', /attachment; filename="contacts.csv"/);
    const lines = csv.text.trim().split('\r\n');
    assert.equal(lines[0], 'id,phone,name,source_group,scraped_by,scraped_at');
    assert.equal(lines.length, 3);
    assert.ok(lines.some((l) => l.includes('+447700000002,"\'=HYPERLINK(""http://x"")"')), 'formulas are neutralised');
    const workerCsv = await request.agent(ctx.app).get('/contacts.csv');
    assert.equal(workerCsv.status, 303, 'no export without signing in');
  });
});
