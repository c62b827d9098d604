import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import request from 'supertest';
import { makeTestApp, type TestContext } from './helpers.js';

const contexts: TestContext[] = [];
after(() => Promise.all(contexts.map((c) => c.close())));
async function app(env: Record<string, string> = {}): Promise<TestContext> {
  const ctx = await makeTestApp(env);
  contexts.push(ctx);
  return ctx;
}

describe('GET /ready', () => {
  test('answers 200 with every check ok, and proves it with a real write', async () => {
    const ctx = await app();
    const res = await request(ctx.app).get('/ready').expect(200);
    assert.deepEqual(res.body, { status: 'ready', checks: { database: 'ok', disk: 'ok', migrations: 'ok' } });
    const probed = ctx.db.prepare('SELECT checked_at FROM readiness_probe').pluck().get() as string;
    assert.notEqual(probed, '1970-01-01T00:00:00.000Z', 'the probe row was rewritten');
  });

  test('answers 503 naming the migrations while one is pending', async () => {
    const ctx = await app();
    ctx.db.prepare('DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)').run();
    const res = await request(ctx.app).get('/ready').expect(503);
    assert.equal(res.body.status, 'not ready');
    assert.match(res.body.checks.migrations, /1 migration\(s\) pending/);
    assert.equal(res.body.checks.database, 'ok');
    assert.equal(res.headers['retry-after'], '5');
  });

  test('answers 503 when the data directory has less free space than DISK_MIN_FREE_MB, without naming the path', async () => {
    const ctx = await app({ DISK_MIN_FREE_MB: '9000000' });
    const res = await request(ctx.app).get('/ready').expect(503);
    assert.match(res.body.checks.disk, /under DISK_MIN_FREE_MB \(9000000 MiB\)/);
    assert.ok(!JSON.stringify(res.body).includes(ctx.dir), 'no path in the answer');
  });

  test('answers 503 when another connection holds the write lock past the probe timeout, and 200 once it is released', async () => {
    const ctx = await app();
    const other = new Database(path.join(ctx.dir, 'security.db'));
    other.exec('BEGIN IMMEDIATE');
    try {
      const res = await request(ctx.app).get('/ready').expect(503);
      assert.equal(res.body.checks.database, 'cannot write: locked by another connection past the busy timeout');
      assert.equal(ctx.db.pragma('busy_timeout', { simple: true }), 5000, 'the connection keeps its own busy timeout');
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    // A result is reused for a second of the service's clock.
    ctx.clock.now += 1100;
    await request(ctx.app).get('/ready').expect(200);
  });

  test('a flood of probes costs one write a second at most', async () => {
    const ctx = await app();
    const changes = ctx.db.prepare('SELECT total_changes()').pluck();
    const before = changes.get() as number;
    const answers = await Promise.all(Array.from({ length: 50 }, () => request(ctx.app).get('/ready')));
    assert.ok(answers.every((a) => a.status === 200));
    assert.ok((changes.get() as number) - before <= 2, 'at most one probe write per second of the burst');
  });
});

describe('storage failures', () => {
  test('SQLITE_BUSY past the busy timeout answers 503 with Retry-After on the JSON surface, and nothing is half-written', async () => {
    const ctx = await app();
    const { insertUser, STRONG_PASSWORD } = await import('./helpers.js');
    const worker = await insertUser(ctx.db, { role: 'worker' });
    const login = await request(ctx.app).post('/auth/login').send({ username: worker.username, password: STRONG_PASSWORD }).expect(200);
    const token = login.body.access_token as string;
    const other = new Database(path.join(ctx.dir, 'security.db'));
    other.exec('BEGIN IMMEDIATE');
    let res;
    try {
      res = await request(ctx.app).post('/api/messages/log').set('authorization', `Bearer ${token}`)
        .send({ recipient_phone: '+14155550100', message_content: 'hello' });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    assert.equal(res.status, 503);
    assert.equal(res.body.code, 'storage_unavailable');
    assert.equal(res.headers['retry-after'], '5');
    assert.equal(ctx.db.prepare('SELECT count(*) FROM message_logs').pluck().get(), 0);
    assert.ok(ctx.logLines.some((l) => l.includes('storage unavailable') && l.includes('SQLITE_BUSY')));
    await request(ctx.app).post('/api/messages/log').set('authorization', `Bearer ${token}`)
      .send({ recipient_phone: '+14155550100', message_content: 'hello' }).expect(201);
  });
});
