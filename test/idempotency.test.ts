import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { count, insertUser, makeTestApp, type TestContext } from './helpers.js';
import { serve } from './parallel.js';

let ctx: TestContext;

async function newWorker() {
  const user = await insertUser(ctx.db, { role: 'worker' });
  const res = await request(ctx.app).post('/auth/login').send({ username: user.username, password: user.password });
  return { ...user, token: res.body.access_token as string };
}

let phone = 0;
/** A recipient no other test has used, so per-destination quotas never interfere. */
const freshPhone = () => `+3461${String((phone += 1)).padStart(7, '0')}`;

const post = (path: string, token: string, key: string | undefined, body: object) => {
  const req = request(ctx.app).post(`/api/messages/${path}`).set('Authorization', `Bearer ${token}`);
  return (key === undefined ? req : req.set('Idempotency-Key', key)).send(body);
};
const stored = (senderId: number) => count(ctx.db, 'SELECT count(*) AS n FROM message_logs WHERE sender_id = ?', senderId);
const keys = (userId: number) => count(ctx.db, 'SELECT count(*) AS n FROM idempotency_keys WHERE user_id = ?', userId);

before(async () => {
  ctx = await makeTestApp({ RATE_LIMIT_MESSAGES_PER_MINUTE: '10', RATE_LIMIT_MESSAGES_PER_HOUR: '100', RATE_LIMIT_MESSAGES_PER_DESTINATION_HOUR: '5',
    MAIN_APP_URL: 'http://main.example' });
});
after(() => ctx.close());

describe('Idempotency-Key on the message log', () => {
  test('a retry with the same key returns the identical first answer and stores one message', async () => {
    const w = await newWorker();
    const body = { recipient_phone: freshPhone(), message_content: 'Hola' };
    const first = await post('log', w.token, 'retry-1', body);
    const again = await post('log', w.token, 'retry-1', body);
    assert.equal(first.status, 201);
    assert.deepEqual({ status: again.status, body: again.body }, { status: first.status, body: first.body });
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(first.headers['idempotent-replayed'], undefined);
    assert.equal(stored(w.id), 1);
    assert.equal(keys(w.id), 1);
  });

  test('a bulk retry with the same key returns the first answer and stores the batch once', async () => {
    const w = await newWorker();
    const body = { messages: [{ recipient_phone: freshPhone() }, { recipient_phone: freshPhone() }, { recipient_phone: freshPhone() }] };
    const first = await post('bulk-log', w.token, 'bulk-1', body);
    const again = await post('bulk-log', w.token, 'bulk-1', body);
    assert.deepEqual(first.body, { message: 'Logged 3 messages', logged: 3 });
    assert.deepEqual({ status: again.status, body: again.body }, { status: 201, body: first.body });
    assert.equal(stored(w.id), 3);
  });

  test('20 parallel requests with the same key store exactly one set of messages and all get the same answer', async () => {
    const w = await newWorker();
    const server = await serve(ctx.app);
    try {
      const body = JSON.stringify({ messages: [{ recipient_phone: freshPhone() }, { recipient_phone: freshPhone() }] });
      const answers = await Promise.all(Array.from({ length: 20 }, async () => {
        const res = await fetch(`${server.url}/api/messages/bulk-log`, { method: 'POST', body,
          headers: { authorization: `Bearer ${w.token}`, 'content-type': 'application/json', 'idempotency-key': 'parallel-1' } });
        return { status: res.status, body: await res.json(), replayed: res.headers.get('idempotent-replayed') };
      }));
      for (const a of answers) assert.deepEqual({ status: a.status, body: a.body }, { status: 201, body: { message: 'Logged 2 messages', logged: 2 } });
      assert.equal(answers.filter((a) => a.replayed !== 'true').length, 1, 'one request stored, 19 replayed');
      assert.equal(stored(w.id), 2);
      assert.equal(keys(w.id), 1);
    } finally {
      await server.close();
    }
  });

  test('another caller with the same key is independent', async () => {
    const a = await newWorker();
    const b = await newWorker();
    const body = { recipient_phone: freshPhone() };
    const fromA = await post('log', a.token, 'shared-key', body);
    const fromB = await post('log', b.token, 'shared-key', body);
    assert.equal(fromA.status, 201);
    assert.equal(fromB.status, 201);
    assert.notEqual(fromA.body.log_id, fromB.body.log_id);
    assert.equal(fromB.headers['idempotent-replayed'], undefined);
    assert.equal(stored(a.id), 1);
    assert.equal(stored(b.id), 1);
  });

  test('the same key with a different body or on the other endpoint is refused with 422 and stores nothing', async () => {
    const w = await newWorker();
    const recipient = freshPhone();
    await post('log', w.token, 'reuse-1', { recipient_phone: recipient, message_content: 'first' });
    const before = { messages: stored(w.id), keys: keys(w.id), events: count(ctx.db, 'SELECT count(*) AS n FROM activity_log') };
    const otherBody = await post('log', w.token, 'reuse-1', { recipient_phone: recipient, message_content: 'second' });
    assert.equal(otherBody.status, 422);
    assert.match(otherBody.body.error, /Idempotency-Key was already used with a different request/);
    assert.equal(otherBody.body.code, 'idempotency_key_reused');
    assert.ok(otherBody.body.fields['Idempotency-Key']);
    const otherEndpoint = await post('bulk-log', w.token, 'reuse-1', { messages: [{ recipient_phone: recipient, message_content: 'first' }] });
    assert.equal(otherEndpoint.status, 422);
    assert.deepEqual({ messages: stored(w.id), keys: keys(w.id), events: count(ctx.db, 'SELECT count(*) AS n FROM activity_log') }, before);
  });

  test('an empty, overlong or non-printable key is a 400 naming the header, and nothing is stored', async () => {
    const w = await newWorker();
    for (const key of ['', '   ', 'k'.repeat(256), 'tab\there', 'caf\u00e9']) {
      const res = await post('log', w.token, key, { recipient_phone: freshPhone() });
      assert.equal(res.status, 400, JSON.stringify(key));
      assert.match(res.body.error, /^Idempotency-Key header /);
      assert.ok(res.body.fields['Idempotency-Key'], JSON.stringify(res.body));
    }
    assert.equal((await post('log', w.token, 'k'.repeat(255), { recipient_phone: freshPhone() })).status, 201, '255 characters is fine');
    assert.equal(stored(w.id), 1);
    assert.equal(keys(w.id), 1);
  });

  test('a refused request is not remembered: after a 400 or a 429 the same key can succeed', async () => {
    const w = await newWorker();
    const bad = await post('log', w.token, 'after-400', { recipient_phone: 'not a phone' });
    assert.equal(bad.status, 400);
    assert.equal((await post('log', w.token, 'after-400', { recipient_phone: freshPhone() })).status, 201, 'not a 422: the 400 was not kept');

    const fill = Array.from({ length: 9 }, () => ({ recipient_phone: freshPhone() }));
    assert.equal((await post('bulk-log', w.token, undefined, { messages: fill })).status, 201);
    const body = { messages: [{ recipient_phone: freshPhone() }, { recipient_phone: freshPhone() }] };
    const refused = await post('bulk-log', w.token, 'after-429', body);
    assert.equal(refused.status, 429);
    assert.equal(keys(w.id), 1, 'only the first success is kept');
    ctx.clock.now += 61_000;
    const token = (await request(ctx.app).post('/auth/login').send({ username: w.username, password: w.password })).body.access_token as string;
    const retried = await post('bulk-log', token, 'after-429', body);
    assert.equal(retried.status, 201);
    assert.equal(retried.headers['idempotent-replayed'], undefined);
    assert.equal(stored(w.id), 1 + 9 + 2);
  });

  test('the key and its messages are written in one transaction: if the key cannot be stored, no message is', async () => {
    const w = await newWorker();
    ctx.db.exec("CREATE TRIGGER refuse_keys BEFORE INSERT ON idempotency_keys BEGIN SELECT RAISE(ABORT, 'disk trouble'); END");
    try {
      const res = await post('bulk-log', w.token, 'atomic-1', { messages: [{ recipient_phone: freshPhone() }, { recipient_phone: freshPhone() }] });
      assert.equal(res.status, 500);
      assert.doesNotMatch(JSON.stringify(res.body), /disk trouble|idempotency_keys/);
    } finally {
      ctx.db.exec('DROP TRIGGER refuse_keys');
    }
    assert.equal(stored(w.id), 0);
    assert.equal(keys(w.id), 0);
  });

  test('the main app\'s browser origin may send the header', async () => {
    const res = await request(ctx.app).options('/api/messages/log').set('Origin', 'http://main.example')
      .set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization, content-type, idempotency-key');
    assert.equal(res.status, 204);
    assert.match(res.headers['access-control-allow-headers'] ?? '', /Idempotency-Key/);
  });

  test('a key is kept 24 hours: afterwards the same key logs anew, and the purge removes expired keys', async () => {
    const w = await newWorker();
    const body = { recipient_phone: freshPhone() };
    const first = await post('log', w.token, 'day-1', body);
    ctx.clock.now += 23 * 3_600_000;
    let token = (await request(ctx.app).post('/auth/login').send({ username: w.username, password: w.password })).body.access_token as string;
    assert.deepEqual((await post('log', token, 'day-1', body)).body, first.body, 'still replayed after 23 hours');
    assert.equal(ctx.services.messages.purgeIdempotencyKeys(), 0, 'nothing to purge before 24 hours');
    ctx.clock.now += 3_600_000 + 1000;
    token = (await request(ctx.app).post('/auth/login').send({ username: w.username, password: w.password })).body.access_token as string;
    const later = await post('log', token, 'day-1', body);
    assert.equal(later.status, 201);
    assert.notEqual(later.body.log_id, first.body.log_id);
    assert.equal(stored(w.id), 2);
    ctx.clock.now += 24 * 3_600_000 + 1000;
    const keysBefore = count(ctx.db, 'SELECT count(*) AS n FROM idempotency_keys');
    assert.ok(ctx.services.messages.purgeIdempotencyKeys() >= 1);
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM idempotency_keys'), 0, `all ${keysBefore} keys were older than 24 hours`);
  });
});
