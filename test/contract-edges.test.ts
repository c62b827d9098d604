import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { count, csrfFrom, insertUser, makeTestApp, signIn, type TestContext } from './helpers.js';

// The answers the first release gave at the edges, pinned: the restructuring kept them.
let ctx: TestContext;
let adminToken: string;
let workerToken: string;
before(async () => {
  ctx = await makeTestApp({ LOG_REQUESTS: 'false', METRICS_TOKEN: 'metrics-scrape-token-0123456789abcdefghijklmnop', LOGIN_REQUESTS_PER_MINUTE: '3' });
  const admin = await insertUser(ctx.db, { role: 'admin' });
  const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
  const login = (u: { username: string; password: string }) => request(ctx.app).post('/auth/login').send(u).then((r) => r.body.access_token as string);
  adminToken = await login(admin);
  workerToken = await login(worker);
});
after(() => ctx.close());

const as = (token: string) => ({
  post: (url: string, body: unknown) => request(ctx.app).post(url).set('Authorization', `Bearer ${token}`).send(body as object),
  get: (url: string) => request(ctx.app).get(url).set('Authorization', `Bearer ${token}`),
});

describe('a JSON 400 names the first problem, as it always did', () => {
  test('several bad fields: the message and the one field are the first problem\'s', async () => {
    const res = await as(adminToken).post('/api/users', {});
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, { error: 'username is required', code: 'bad_request', fields: { username: 'username is required' } });
    const query = await as(adminToken).get('/api/users?role=x&limit=abc&offset=-1');
    assert.deepEqual(Object.keys(query.body.fields), ['role']);
  });

  test('unknown fields are named by the first of them', async () => {
    const res = await as(adminToken).post('/api/users', { username: 'someone', password: 'a fine passphrase 1', role: 'worker', x: 1, y: 2 });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.fields, { x: 'Unknown field: x, y' });
  });

  test('a message is judged field by field before its recipient is read', async () => {
    const missing = await as(workerToken).post('/api/messages/log', { status: 'bogus' });
    assert.deepEqual([missing.status, missing.body.error], [400, 'recipient_phone is required']);
    const both = await as(workerToken).post('/api/messages/log', { recipient_phone: 'nobody', status: 'bogus' });
    assert.deepEqual(Object.keys(both.body.fields), ['status']);
    const unreadable = await as(workerToken).post('/api/messages/log', { recipient_phone: 'nobody' });
    assert.match(unreadable.body.fields.recipient_phone, /^recipient_phone is not a phone number/);
  });

  test('in a bulk log, an item that is no object is named messages[i].body, and null reads as an empty message', async () => {
    const notObject = await as(workerToken).post('/api/messages/bulk-log', { messages: [{ recipient_phone: '+34600000001' }, 'text'] });
    assert.deepEqual(notObject.body.fields, { 'messages[1].body': 'Body must be a JSON object' });
    const empty = await as(workerToken).post('/api/messages/bulk-log', { messages: [null] });
    assert.deepEqual(empty.body.fields, { 'messages[0].recipient_phone': 'recipient_phone is required' });
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM message_logs'), 0);
  });

  test('a sync with a malformed source group is refused as that, before its missing list', async () => {
    const res = await as(workerToken).post('/api/contacts/sync', { source_group: 5 });
    assert.deepEqual([res.status, res.body.error], [400, 'source_group must be a string']);
    const none = await as(workerToken).post('/api/contacts/sync', { source_group: 'g' });
    assert.deepEqual(none.body.fields, { contacts: 'No contacts provided' });
  });
});

describe('a token sent along makes nobody accountable for a sign-in', () => {
  test('refused sign-ins carrying a valid token are counted as anonymous, not written under the token\'s user', async () => {
    const before = count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'rate_limit.refused' AND user_id IS NOT NULL");
    const answers = [];
    for (let i = 0; i < 8; i += 1) {
      answers.push((await request(ctx.app).post('/auth/login').set('Authorization', `Bearer ${workerToken}`)
        .set('X-Forwarded-For', '203.0.113.9').send({ username: 'nobody-here', password: 'wrong guess' })).status);
    }
    assert.ok(answers.includes(429), answers.join());
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'rate_limit.refused' AND user_id IS NOT NULL"), before);
  });
});

describe('405 answers', () => {
  test('keep Allow, their body and their route label in /metrics', async () => {
    const res = await request(ctx.app).get('/auth/login');
    assert.deepEqual([res.status, res.headers.allow, res.body], [405, 'POST', { error: 'Method not allowed; use POST' }]);
    const text = (await request(ctx.app).get('/metrics').set('Authorization', 'Bearer metrics-scrape-token-0123456789abcdefghijklmnop')).text;
    assert.match(text, /method="GET",route="\/auth\/login",status="405"/);
  });
});

describe('a form that cannot be shown again', () => {
  test('answers with why (the account is not there), not a plain-text 500', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const agent = request.agent(ctx.app);
    await signIn(agent, admin.username, admin.password);
    const token = csrfFrom((await agent.get('/users/new')).text);
    const res = await agent.post('/users/999999/password').type('form').send({ _csrf: token, password: 'a', confirm_password: 'b' });
    assert.equal(res.status, 404);
    assert.match(res.headers['content-type'] ?? '', /text\/html/);
    assert.match(res.text, /User not found/);
  });

  test('a reset with no passwords is a mismatch beside the second field', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    const agent = request.agent(ctx.app);
    await signIn(agent, admin.username, admin.password);
    const token = csrfFrom((await agent.get(`/users/${worker.id}`)).text);
    const res = await agent.post(`/users/${worker.id}/password`).type('form').send({ _csrf: token });
    assert.equal(res.status, 400);
    assert.match(res.text, /id="confirm_password-error">The two passwords do not match/);
  });
});

describe('found by attacking the restructured code', () => {
  test('a field named like an Object.prototype property is still named in the 400', async () => {
    const res = await as(adminToken).post('/api/users', { constructor: 1, username: 'someone', password: 'a fine passphrase 1', role: 'worker' });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.fields, { constructor: 'Unknown field: constructor' });
  });

  test('on the user page, who may act is decided before what they typed: refused and recorded whatever the input', async () => {
    const owner = await insertUser(ctx.db, { role: 'admin', isOwner: true });
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const agent = request.agent(ctx.app);
    await signIn(agent, admin.username, admin.password);
    const token = csrfFrom((await agent.get(`/users/${owner.id}`)).text);
    const denied = () => count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'access.denied' AND user_id = ?", admin.id);
    const before = denied();
    const res = await agent.post(`/users/${owner.id}/password`).type('form').send({ _csrf: token, password: 'a', confirm_password: 'b' });
    assert.equal(res.status, 403);
    assert.match(res.text, /The owner account cannot be changed/);
    assert.equal(denied(), before + 1);
  });

  test('a probe that fails answers JSON, with the failure logged', async () => {
    const own = await makeTestApp({ LOG_REQUESTS: 'false' });
    try {
      own.db.close();
      const res = await request(own.app).get('/health');
      assert.equal(res.status, 500);
      assert.deepEqual(res.body, { error: 'Something went wrong on our side', code: 'internal' });
      assert.ok(own.logLines.some((l) => l.includes('"msg":"unhandled error"') && l.includes('/health')));
    } finally {
      await own.close();
    }
  });
});
