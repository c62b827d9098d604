import assert from 'node:assert/strict';
import { test } from 'node:test';
import request from 'supertest';
import { hashPassword, passwordChecksSaturated } from '../src/passwords/password.js';
import { count, csrfFrom, insertUser, makeTestApp } from './helpers.js';
import { postJson, serve, statuses } from './parallel.js';

// Two argon2 checks run at a time and 200 wait (src/features/auth/password.ts); past that a
// sign-in is refused at once. 350 sign-ins from 350 addresses overflow it.
test('a sign-in flood past the argon2 queue answers 503 busy on both surfaces, writes nothing for the refused, logs no stack', async () => {
  const ctx = await makeTestApp({ TRUST_PROXY: '1', LOGIN_REQUESTS_PER_MINUTE: '100000', API_LOGIN_REQUESTS_PER_MINUTE: '100000',
    LOGIN_MAX_FAILURES_PER_IP: '100000', LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000' });
  const server = await serve(ctx.app);
  try {
    const page = await fetch(`${server.url}/login`);
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
    const csrf = csrfFrom(await page.text());
    const from = (i: number) => `198.51.${Math.floor(i / 250)}.${i % 250}`;
    const api = (i: number) => postJson(`${server.url}/auth/login`, { username: `flood-${i}`, password: 'a guess' }, { 'x-forwarded-for': from(i) });
    const panel = async (i: number) => {
      const res = await fetch(`${server.url}/login`, { method: 'POST', redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, 'x-forwarded-for': from(i) },
        body: new URLSearchParams({ _csrf: csrf, username: `panel-flood-${i}`, password: 'a guess' }) });
      return { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after') };
    };
    const apiAnswers: Array<ReturnType<typeof api>> = [];
    const panelAnswers: Array<ReturnType<typeof panel>> = [];
    for (let i = 0; i < 350; i += 1) {
      if (i % 7 === 3) panelAnswers.push(panel(i));
      else apiAnswers.push(api(i));
    }
    const apiResults = await Promise.all(apiAnswers);
    const panelResults = await Promise.all(panelAnswers);

    const byStatus = statuses([...apiResults, ...panelResults]);
    assert.deepEqual(Object.keys(byStatus).sort(), ['401', '503'], JSON.stringify(byStatus));
    for (const busy of apiResults.filter((a) => a.status === 503)) {
      assert.deepEqual(busy.body, { error: 'Service busy, retry shortly', code: 'busy' });
      assert.equal(busy.headers.get('retry-after'), '1');
    }
    const panelBusy = panelResults.filter((a) => a.status === 503);
    assert.ok(panelBusy.length > 0, 'some panel sign-ins were shed too');
    for (const busy of panelBusy) {
      assert.match(busy.text, /<h1>Sign in<\/h1>/);
      assert.match(busy.text, /Service busy, retry shortly/);
      assert.match(busy.text, /value="panel-flood-\d+"/, 'the username typed is kept');
      assert.equal(busy.retryAfter, '1');
    }

    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'login'"), byStatus[401],
      'only the checked sign-ins were recorded');
    assert.equal(count(ctx.db, 'SELECT coalesce(sum(in_flight), 0) AS n FROM login_throttle'), 0, 'every reservation was released');
    assert.equal(count(ctx.db, 'SELECT coalesce(sum(failures), 0) AS n FROM login_throttle WHERE scope = ?', 'ip'), byStatus[401],
      'a shed sign-in spends no budget');
    assert.ok(!ctx.logLines.some((line) => /stack|"level":"error"/.test(line)), 'no error and no stack in the log');
    const warnings = ctx.logLines.filter((line) => line.includes('password checker is saturated'));
    assert.ok(warnings.length >= 1 && warnings.length <= 3, `at most one warn line a second (${warnings.length})`);
  } finally {
    await server.close();
    await ctx.close();
  }
});

/**
 * Keeps the password checker full (2 running, 200 waiting), as a flood would: each of 202 chains
 * queues its next hash in the microtask after its last one ends, before any request can run.
 */
function keepSaturated() {
  let stopped = false;
  const chain = async () => {
    while (!stopped) await hashPassword('someone else is signing in');
  };
  const chains = Array.from({ length: 202 }, chain);
  assert.ok(passwordChecksSaturated());
  return {
    release: async () => {
      stopped = true;
      await Promise.all(chains);
    },
  };
}

test('every route that hashes a password answers 503 busy while the checker is saturated, and writes nothing', async () => {
  const ctx = await makeTestApp();
  try {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const signedIn = await request(ctx.app).post('/auth/login').send({ username: admin.username, password: admin.password });
    const auth = `Bearer ${signedIn.body.access_token as string}`;
    const pool = keepSaturated();
    const users = count(ctx.db, 'SELECT count(*) AS n FROM users');
    const create = await request(ctx.app).post('/api/users').set('Authorization', auth)
      .send({ username: 'made-in-a-flood', password: 'a long enough passphrase', role: 'worker' });
    const own = await request(ctx.app).post('/auth/password').set('Authorization', auth)
      .send({ current_password: admin.password, new_password: 'another long passphrase' });
    const signIn = await request(ctx.app).post('/auth/login').send({ username: admin.username, password: admin.password });
    const fromBrowser = await request(ctx.app).post('/auth/login').set('Origin', 'http://127.0.0.1:5500')
      .send({ username: admin.username, password: admin.password });
    await pool.release();
    assert.equal(signIn.headers['x-request-id'], undefined, "the main app's sign-in was shed before routing");
    assert.equal(signIn.headers['x-content-type-options'], 'nosniff');
    assert.equal(fromBrowser.headers['access-control-allow-origin'], 'http://127.0.0.1:5500', 'a browser can read its 503');
    for (const res of [create, own, signIn, fromBrowser]) {
      assert.equal(res.status, 503);
      assert.deepEqual(res.body, { error: 'Service busy, retry shortly', code: 'busy' });
      assert.equal(res.headers['retry-after'], '1');
    }
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM users'), users, 'nobody was created');
    assert.equal(count(ctx.db, 'SELECT coalesce(sum(in_flight), 0) AS n FROM login_throttle'), 0);
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'password.change'"), 0);
    assert.ok(!ctx.logLines.some((line) => /"level":"error"|stack/.test(line)), 'no error and no stack in the log');
  } finally {
    await ctx.close();
  }
});
