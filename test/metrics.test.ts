import assert from 'node:assert/strict';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { count, insertUser, makeTestApp, signIn, TEST_JWT_SECRET, TEST_SESSION_SECRET, type TestContext } from './helpers.js';

const TOKEN = 'metrics-scrape-token-0123456789abcdefghijklmnop';
let ctx: TestContext;

before(async () => {
  ctx = await makeTestApp({
    METRICS_TOKEN: TOKEN, LOGIN_MAX_FAILURES_PER_ACCOUNT: '2', ANOMALY_FAILED_LOGINS_PER_ACCOUNT: '2',
    API_LOGIN_REQUESTS_PER_MINUTE: '8', LOGIN_REQUESTS_PER_MINUTE: '6', RATE_LIMIT_MESSAGES_PER_MINUTE: '1',
  });
});
after(() => ctx.close());

async function scrape(app = ctx.app, token = TOKEN): Promise<string> {
  const res = await request(app).get('/metrics').set('Authorization', `Bearer ${token}`);
  assert.equal(res.status, 200);
  return res.text;
}

/** The value of one series (0 when absent), labels given in the order prom-client prints them. */
async function value(series: string): Promise<number> {
  const line = (await scrape()).split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function moves(series: string, act: () => Promise<unknown>): Promise<number> {
  const before = await value(series);
  await act();
  return (await value(series)) - before;
}

const apiLogin = (username: string, password: string) => request(ctx.app).post('/auth/login').send({ username, password });

describe('who may read /metrics', () => {
  test('with METRICS_TOKEN set, no token is 401, a wrong one 403, the right one 200 in Prometheus format', async () => {
    const none = await request(ctx.app).get('/metrics');
    assert.equal(none.status, 401);
    assert.deepEqual(none.body, { error: 'Authentication required' });
    const wrong = await request(ctx.app).get('/metrics').set('Authorization', `Bearer ${TOKEN}x`);
    assert.equal(wrong.status, 403);
    assert.deepEqual(wrong.body, { error: 'Forbidden' });
    const text = await scrape();
    assert.match(text, /^# HELP process_cpu_user_seconds_total/m);
    assert.match(text, /^# TYPE nexus_http_request_duration_seconds histogram/m);
    assert.ok(!text.includes(TOKEN), 'the token is not echoed');
  });

  test('without METRICS_TOKEN a loopback client is served, a forwarded one and a non-loopback one are refused', async () => {
    const own = await makeTestApp({ LOG_REQUESTS: 'false' });
    try {
      assert.equal((await request(own.app).get('/metrics')).status, 200);
      const forwarded = await request(own.app).get('/metrics').set('X-Forwarded-For', '127.0.0.1');
      assert.equal(forwarded.status, 403);
      // A real socket between two non-loopback addresses of this machine.
      const address = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
      assert.ok(address, 'this machine needs a non-loopback IPv4 address for this test');
      const server = http.createServer(own.app);
      await new Promise<void>((resolve) => server.listen(0, address, resolve));
      try {
        const { port } = server.address() as { port: number };
        const res = await fetch(`http://${address}:${port}/metrics`);
        assert.equal(res.status, 403);
        assert.deepEqual(await res.json(), { error: 'Forbidden' });
      } finally {
        server.close();
      }
    } finally {
      await own.close();
    }
  });

  test('METRICS_TOKEN set: a loopback client without the token is still refused', async () => {
    assert.equal((await request(ctx.app).get('/metrics').set('Authorization', 'Bearer ')).status, 401);
  });
});

describe('security counters move after the real action', () => {
  test('a failed API sign-in, a lockout, the login throttle 429 and the failed-login flag', async () => {
    const user = await insertUser(ctx.db, { role: 'worker' });
    const failure = 'nexus_sign_ins_total{channel="api",outcome="failure"}';
    assert.equal(await moves(failure, () => apiLogin(user.username, 'a wrong password 1')), 1);
    const lockout = 'nexus_lockouts_total{scope="account"}';
    const flag = 'nexus_flags_total{rule="failed_login_burst"}';
    const [locked, flagged] = [await value(lockout), await value(flag)];
    await apiLogin(user.username, 'a wrong password 2');
    assert.equal((await value(lockout)) - locked, 1);
    assert.equal((await value(flag)) - flagged, 1);
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_flags WHERE rule = 'failed_login_burst' AND user_id = ?", user.id), 1);
    const throttled = 'nexus_rate_limited_total{limiter="login_throttle"}';
    assert.equal(await moves(throttled, async () => assert.equal((await apiLogin(user.username, user.password)).status, 429)), 1);
    assert.equal(await value('nexus_sign_ins_total{channel="api",outcome="throttled"}') >= 1, true);
  });

  test('a panel sign-in counts under the panel channel', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    assert.equal(await moves('nexus_sign_ins_total{channel="panel",outcome="success"}',
      () => signIn(request.agent(ctx.app), admin.username, admin.password)), 1);
  });

  test('validate counts valid, invalid and missing tokens', async () => {
    const user = await insertUser(ctx.db, { role: 'worker' });
    const access = (await apiLogin(user.username, user.password)).body.access_token as string;
    const validate = (auth?: string) => {
      const r = request(ctx.app).post('/auth/validate');
      return auth ? r.set('Authorization', auth) : r;
    };
    assert.equal(await moves('nexus_token_validations_total{result="valid"}', () => validate(`Bearer ${access}`)), 1);
    assert.equal(await moves('nexus_token_validations_total{result="invalid"}', () => validate(`Bearer ${access}x`)), 1);
    assert.equal(await moves('nexus_token_validations_total{result="missing"}', () => validate()), 1);
  });

  test('a refresh token used twice counts one reuse', async () => {
    const user = await insertUser(ctx.db, { role: 'worker' });
    const refresh = (await apiLogin(user.username, user.password)).body.refresh_token as string;
    const use = () => request(ctx.app).post('/auth/refresh').set('Authorization', `Bearer ${refresh}`);
    assert.equal((await use()).status, 200);
    assert.equal(await moves('nexus_refresh_reuse_total', async () => assert.equal((await use()).status, 401)), 1);
  });

  test('a message over the quota counts a quota refusal and a message_quota 429', async () => {
    const user = await insertUser(ctx.db, { role: 'worker' });
    const access = (await apiLogin(user.username, user.password)).body.access_token as string;
    const send = () => request(ctx.app).post('/api/messages/log').set('Authorization', `Bearer ${access}`)
      .send({ recipient_phone: '+34 600 111 222', message_content: 'Hola' });
    assert.equal((await send()).status, 201);
    const refusals = await value('nexus_message_quota_refusals_total');
    assert.equal(await moves('nexus_rate_limited_total{limiter="message_quota"}', async () => assert.equal((await send()).status, 429)), 1);
    assert.equal((await value('nexus_message_quota_refusals_total')) - refusals, 1);
  });

  test('a wrong current password past its budget counts a password_throttle 429', async () => {
    const user = await insertUser(ctx.db, { role: 'worker' });
    const access = (await apiLogin(user.username, user.password)).body.access_token as string;
    const change = () => request(ctx.app).post('/auth/password').set('Authorization', `Bearer ${access}`)
      .send({ current_password: 'not my password at all', new_password: 'a brand new passphrase 77' });
    const series = 'nexus_rate_limited_total{limiter="password_throttle"}';
    const start = await value(series);
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await change()).status);
    assert.deepEqual(statuses, [400, 400, 429]);
    assert.equal((await value(series)) - start, 1);
  });

  test('the API and panel request limiters each count their own 429s', async () => {
    const api = 'nexus_rate_limited_total{limiter="api_login_requests"}';
    const apiBefore = await value(api);
    const answers = [];
    for (let i = 0; i < 10; i += 1) answers.push((await request(ctx.app).post('/auth/login').send({})).status);
    assert.equal((await value(api)) - apiBefore, answers.filter((s) => s === 429).length);
    assert.ok(answers.includes(429));
    const panel = 'nexus_rate_limited_total{limiter="panel_posts"}';
    // Without a CSRF token: the limiter comes first, so these are 403 until it refuses them.
    const panelBefore = await value(panel);
    const posted = [];
    for (let i = 0; i < 8; i += 1) posted.push((await request(ctx.app).post('/login').type('form').send({ username: 'x', password: 'y' })).status);
    assert.ok(posted.includes(429));
    assert.equal((await value(panel)) - panelBefore, posted.filter((s) => s === 429).length);
  });
});

describe('the request histogram', () => {
  test('labels requests by route template, so two user ids are one series and unknown paths are "unmatched"', async () => {
    for (const id of [123, 456]) await request(ctx.app).get(`/api/users/${id}`).set('Authorization', 'Bearer not-a-token');
    await request(ctx.app).get('/no/such/page/987654');
    const text = await scrape();
    const series = text.split('\n').filter((l) => l.startsWith('nexus_http_request_duration_seconds_count{') && l.includes('/api/users/:id'));
    assert.equal(series.length, 1, series.join('\n'));
    assert.match(series[0]!, /method="GET",route="\/api\/users\/:id",status="401"\} 2$/);
    assert.ok(!text.includes('/api/users/123') && !text.includes('987654'));
    assert.match(text, /route="unmatched",status="404"/);
  });
});

describe('backup gauges', () => {
  test('read NaN until the first backup, then its age and 1, and 0 once a later attempt failed', async () => {
    const own = await makeTestApp({ LOG_REQUESTS: 'false' });
    try {
      const gauges = async () => {
        const text = (await request(own.app).get('/metrics').expect(200)).text;
        const value = (name: string) => /^(\S+) (\S+)$/m.exec(text.split('\n').filter((l) => l.startsWith(name + ' ')).join('\n'))?.[2];
        return { age: value('nexus_backup_last_success_age_seconds'), result: value('nexus_backup_last_result') };
      };
      // prom-client writes NaN as "Nan"; Prometheus parses it case-insensitively.
      const fresh = await gauges();
      assert.match(`${fresh.age} ${fresh.result}`, /^nan nan$/i, 'a fresh install is neither fresh nor failed');
      const { createBackup } = await import('../src/features/backups/backup.create.js');
      const { recordFailure } = await import('../src/features/backups/backup.status.js');
      const backupDir = path.join(own.dir, 'backups');
      createBackup({ dataDir: own.dir, backupDir, keep: 2, secrets: { jwtSecret: TEST_JWT_SECRET, sessionSecret: TEST_SESSION_SECRET } });
      const made = await gauges();
      assert.equal(made.result, '1');
      assert.ok(Number(made.age) >= 0 && Number(made.age) < 60, `age ${made.age}`);
      recordFailure(backupDir, new Date(Date.now() + 1000), 'disk full');
      assert.equal((await gauges()).result, '0');
    } finally {
      await own.close();
    }
  });
});
