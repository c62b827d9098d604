import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import request from 'supertest';
import { insertUser, makeTestApp, signIn, type TestContext } from './helpers.js';

let ctx: TestContext;
let auth: string;
before(async () => {
  ctx = await makeTestApp();
  const admin = await insertUser(ctx.db, { role: 'admin' });
  const res = await request(ctx.app).post('/auth/login').send({ username: admin.username, password: admin.password });
  auth = `Bearer ${res.body.access_token as string}`;
});
after(() => ctx.close());

const SPELLINGS = ['1e0', '0x1', '01', '1.0', ' 1', '+1', '-1', '１', '99999999999999999999'];
const CASES: Array<[path: string, field: string]> = [
  ['/api/activity', 'user_id'], ['/api/messages', 'sender_id'],
  ['/api/users', 'limit'], ['/api/users', 'offset'], ['/api/contacts', 'limit'], ['/api/contacts', 'offset'],
  ['/api/messages', 'limit'], ['/api/activity', 'offset'],
];

test('ids and paging numbers in query strings must be written canonically, or answer 400 naming the field', async () => {
  for (const [path, field] of CASES) {
    for (const spelling of SPELLINGS) {
      const res = await request(ctx.app).get(path).query({ [field]: spelling }).set('Authorization', auth);
      assert.equal(res.status, 400, `${path}?${field}=${spelling}`);
      assert.equal(res.body.code, 'bad_request');
      assert.ok(res.body.fields[field], `${path}?${field}=${spelling} names ${field}`);
    }
    const twice = await request(ctx.app).get(`${path}?${field}=1&${field}=2`).set('Authorization', auth);
    assert.equal(twice.status, 400, `${path} with ${field} twice`);
  }
});

test('canonical spellings are accepted', async () => {
  for (const [path, field] of CASES) {
    const res = await request(ctx.app).get(path).query({ [field]: field === 'offset' ? '0' : '1' }).set('Authorization', auth);
    assert.equal(res.status, 200, `${path}?${field}`);
  }
});

test('a search with a control character answers 400 naming it on the API, and no export widens a filter it cannot apply', async () => {
  const api = await request(ctx.app).get('/api/contacts').query({ search: 'a\u0000b' }).set('Authorization', auth);
  assert.equal(api.status, 400);
  assert.ok(api.body.fields.search);
  const agent = request.agent(ctx.app);
  const admin = await insertUser(ctx.db, { role: 'admin' });
  await signIn(agent, admin.username, admin.password);
  const page = await agent.get('/contacts').query({ search: 'a\u0000b' });
  assert.equal(page.status, 200);
  assert.match(page.text, /Some filters were not understood/);
  for (const [path, query] of [['/contacts.csv', { search: 'a\u0000b' }], ['/messages.csv', { from: 'yesterday' }], ['/activity.csv', { user_id: '1e0' }]] as const) {
    const res = await agent.get(path).query(query);
    assert.equal(res.status, 400, path);
    assert.doesNotMatch(res.headers['content-type'] ?? '', /csv/, `${path} sends no file`);
  }
});
