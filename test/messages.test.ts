import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { count, insertUser, makeTestApp, signIn, type TestContext } from './helpers.js';

let ctx: TestContext;

async function tokenOf(user: { username: string; password: string }): Promise<string> {
  const res = await request(ctx.app).post('/auth/login').send({ username: user.username, password: user.password });
  return res.body.access_token;
}
const logAs = (token: string, body: object) => request(ctx.app).post('/api/messages/log').set('Authorization', `Bearer ${token}`).send(body);
const bulkAs = (token: string, body: object) => request(ctx.app).post('/api/messages/bulk-log').set('Authorization', `Bearer ${token}`).send(body);
const listAs = (token: string, query = '') => request(ctx.app).get(`/api/messages${query}`).set('Authorization', `Bearer ${token}`);
const stored = (senderId: number) => count(ctx.db, 'SELECT count(*) AS n FROM message_logs WHERE sender_id = ?', senderId);

async function newWorker(createdBy?: number) {
  const user = await insertUser(ctx.db, { role: 'worker', createdBy });
  return { ...user, token: await tokenOf(user) };
}

before(async () => {
  ctx = await makeTestApp({ RATE_LIMIT_MESSAGES_PER_MINUTE: '10', RATE_LIMIT_MESSAGES_PER_HOUR: '25', RATE_LIMIT_MESSAGES_PER_DESTINATION_HOUR: '5' });
});
after(() => ctx.close());

describe('POST /api/messages/log', () => {
  test('stores the message for the token’s user (never the body’s sender) and answers 201', async () => {
    const w = await newWorker();
    const res = await logAs(w.token, { recipient_phone: '+34 600 111 222', message_content: 'Hola', template_used: 'welcome', sender_id: 1 });
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.body).sort(), ['log_id', 'message']);
    assert.equal(res.body.message, 'Message logged');
    const row = ctx.db.prepare('SELECT sender_id, recipient_phone, status, message_content FROM message_logs WHERE id = ?').get(res.body.log_id);
    assert.deepEqual(row, { sender_id: w.id, recipient_phone: '+34600111222', status: 'sent', message_content: 'Hola' });
  });

  test('a missing or non-phone recipient, an unknown status or a wrong type answers 400 naming the field', async () => {
    const w = await newWorker();
    const cases: Array<[object, string]> = [
      [{}, 'recipient_phone'], [{ recipient_phone: 'nobody' }, 'recipient_phone'], [{ recipient_phone: '+12' }, 'recipient_phone'],
      [{ recipient_phone: '+34 6001' }, 'recipient_phone'], [{ recipient_phone: '+999 123456789' }, 'recipient_phone'], [{ recipient_phone: 1.5 }, 'recipient_phone'],
      [{ recipient_phone: '+34600111222', status: 'teleported' }, 'status'], [{ recipient_phone: '+34600111222', message_content: 5 }, 'message_content'],
    ];
    for (const [body, field] of cases) {
      const res = await logAs(w.token, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.ok(res.body.fields[field], `${JSON.stringify(body)} names ${field}: ${JSON.stringify(res.body)}`);
    }
    assert.equal(stored(w.id), 0);
    assert.equal((await request(ctx.app).post('/api/messages/log').send({ recipient_phone: '+34600111222' })).status, 401);
  });

  test('a bulk log is all-or-nothing: one bad message refuses the whole batch', async () => {
    const w = await newWorker();
    const bad = await bulkAs(w.token, { messages: [{ recipient_phone: '+34600000001' }, { recipient_phone: 'x' }] });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.fields['messages[1].recipient_phone']);
    assert.equal(stored(w.id), 0);
    assert.equal((await bulkAs(w.token, { messages: [] })).status, 400);
    const ok = await bulkAs(w.token, { messages: [{ recipient_phone: '+34600000001' }, { recipient_phone: '+34600000002', status: 'failed' }] });
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.body, { message: 'Logged 2 messages', logged: 2 });
    assert.equal(stored(w.id), 2);
  });
});

describe('sending quotas', () => {
  test('the per-minute quota refuses with 429, Retry-After and the original body, storing nothing', async () => {
    const w = await newWorker();
    for (let i = 0; i < 10; i += 1) assert.equal((await logAs(w.token, { recipient_phone: `+3460000${1000 + i}` })).status, 201);
    ctx.clock.now += 15_000;
    try {
      const res = await logAs(w.token, { recipient_phone: '+34600009999' });
      assert.equal(res.status, 429);
      assert.deepEqual(res.body, { error: 'Rate limit exceeded: per-minute limit (10/minute). Retry after 45 seconds.', limit: 'per_minute', retry_after: 45 });
      assert.equal(res.headers['retry-after'], '45');
      assert.equal(stored(w.id), 10);
      assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'message.quota_refused' AND user_id = ?", w.id), 1);
      ctx.clock.now += 45_000;
      assert.equal((await logAs(w.token, { recipient_phone: '+34600009999' })).status, 201, 'the window slides');
    } finally {
      ctx.clock.now -= 60_000;
    }
  });

  test('the per-destination quota counts sends to one recipient per hour', async () => {
    const w = await newWorker();
    for (let i = 0; i < 5; i += 1) {
      assert.equal((await logAs(w.token, { recipient_phone: '+34611111111' })).status, 201);
      ctx.clock.now += 61_000;
    }
    try {
      const res = await logAs(w.token, { recipient_phone: '+34 611 111 111' });
      assert.equal(res.status, 429);
      assert.equal(res.body.limit, 'per_destination_hour');
      assert.match(res.body.error, /^Rate limit exceeded: per-destination limit \(5\/hour\)\. Retry after \d+ seconds\.$/);
      assert.equal(res.body.retry_after, 3600 - 5 * 61);
      assert.equal((await logAs(w.token, { recipient_phone: '+34622222222' })).status, 201, 'other recipients are fine');
    } finally {
      ctx.clock.now -= 5 * 61_000;
    }
  });

  test('the per-hour quota, and a bulk request that would cross a quota is refused whole', async () => {
    const w = await newWorker();
    for (let round = 0; round < 3; round += 1) {
      const batch = Array.from({ length: 8 }, (_, i) => ({ recipient_phone: `+3463${round}00000${i}` }));
      assert.equal((await bulkAs(w.token, { messages: batch })).status, 201);
      ctx.clock.now += 61_000;
    }
    try {
      const tooMany = await bulkAs(w.token, { messages: [{ recipient_phone: '+34640000001' }, { recipient_phone: '+34640000002' }] });
      assert.equal(tooMany.status, 429);
      assert.equal(tooMany.body.limit, 'per_hour');
      assert.equal(stored(w.id), 24);
      assert.equal((await logAs(w.token, { recipient_phone: '+34640000001' })).status, 201, 'one more fits under 25/hour');
      const overMinute = await bulkAs(w.token, { messages: Array.from({ length: 11 }, (_, i) => ({ recipient_phone: `+346500000${String(i).padStart(2, '0')}` })) });
      assert.equal(overMinute.status, 429);
      assert.equal(overMinute.body.limit, 'per_minute');
      assert.equal(overMinute.body.retry_after, 60, 'a batch larger than the quota can only wait a whole window');
    } finally {
      ctx.clock.now -= 3 * 61_000;
    }
  });

  test('50 parallel logs against a per-minute quota of 10 store exactly 10', async () => {
    const w = await newWorker();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => logAs(w.token, { recipient_phone: `+3467${String(i).padStart(7, '0')}` })));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 10);
    assert.equal(statuses.filter((s) => s === 429).length, 40);
    assert.equal(stored(w.id), 10);
  });
});

describe('GET /api/messages', () => {
  test('filters by sender, status, recipient and dates, with a total that honours them', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const adminToken = await tokenOf(admin);
    const w = await newWorker();
    await bulkAs(w.token, { messages: [
      { recipient_phone: '+49170000001', status: 'sent' }, { recipient_phone: '+49170000002', status: 'failed' }, { recipient_phone: '+49180000003', status: 'sent' },
    ] });
    const mine = await listAs(adminToken, `?sender_id=${w.id}`);
    assert.equal(mine.body.total, 3);
    assert.deepEqual(Object.keys(mine.body.messages[0]).sort(),
      ['attachment_path', 'id', 'message_content', 'recipient_phone', 'sender_id', 'sender_username', 'sent_at', 'status', 'template_used']);
    assert.equal(mine.body.messages[0].sender_username, w.username);
    assert.equal((await listAs(adminToken, `?sender_id=${w.id}&status=failed`)).body.total, 1);
    assert.equal((await listAs(adminToken, `?sender_id=${w.id}&search=4917`)).body.total, 2);
    const today = new Date(ctx.clock.now).toISOString().slice(0, 10);
    assert.equal((await listAs(adminToken, `?sender_id=${w.id}&from=${today}&to=${today}`)).body.total, 3);
    assert.equal((await listAs(adminToken, `?sender_id=${w.id}&to=2000-01-01`)).body.total, 0);
    const paged = await listAs(adminToken, `?sender_id=${w.id}&limit=1&offset=1`);
    assert.deepEqual([paged.body.messages.length, paged.body.total, paged.body.limit, paged.body.offset], [1, 3, 1, 1]);
    for (const [query, field] of [['?from=yesterday', 'from'], ['?status=lost', 'status'], ['?limit=0', 'limit'], ['?sender_id=abc', 'sender_id']]) {
      const res = await listAs(adminToken, query);
      assert.equal(res.status, 400, query);
      assert.ok(res.body.fields[field!], JSON.stringify(res.body));
    }
  });

  test('a worker sees only their messages, a manager their team’s, and stats are scoped the same way', async () => {
    const manager = await insertUser(ctx.db, { role: 'manager' });
    const managerToken = await tokenOf(manager);
    const mine = await newWorker(manager.id);
    const stranger = await newWorker();
    await logAs(mine.token, { recipient_phone: '+49190000001' });
    await logAs(stranger.token, { recipient_phone: '+49190000002' });
    await logAs(managerToken, { recipient_phone: '+49190000003' });
    const workerView = await listAs(mine.token, `?sender_id=${stranger.id}`);
    assert.equal(workerView.body.total, 0, 'filtering by another sender reveals nothing');
    assert.equal((await listAs(mine.token)).body.total, 1);
    const managerView = await listAs(managerToken, '?limit=500');
    assert.deepEqual(managerView.body.messages.map((m: { sender_id: number }) => m.sender_id).sort(), [manager.id, mine.id].sort());
    const stats = await request(ctx.app).get('/api/messages/stats').set('Authorization', `Bearer ${managerToken}`);
    assert.deepEqual(stats.body, { total_messages: 2 });
  });
});

describe('messages page', () => {
  test('filters, escapes content and exports exactly the current filter', async () => {
    const manager = await insertUser(ctx.db, { role: 'manager' });
    const w = await newWorker(manager.id);
    await bulkAs(w.token, { messages: [
      { recipient_phone: '+49150000001', message_content: '<img src=x onerror=alert(1)>', status: 'failed' },
      { recipient_phone: '+49150000002', message_content: 'plain', status: 'sent' },
    ] });
    const agent = request.agent(ctx.app);
    await signIn(agent, manager.username, manager.password);
    const page = await agent.get('/messages?status=failed');
    assert.equal(page.status, 200);
    assert.match(page.text, /1 message</);
    assert.match(page.text, /&lt;img src=x onerror=alert\(1\)&gt;/);
    const bad = await agent.get('/messages?from=nonsense');
    assert.match(bad.text, /from must be a date/);
    const csv = await agent.get('/messages.csv?status=failed');
    const lines = csv.text.trim().split('\r\n');
    assert.equal(lines.length, 2);
    assert.match(lines[1]!, /\+49150000001,failed/);
  });
});
