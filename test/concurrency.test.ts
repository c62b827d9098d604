import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import request from 'supertest';
import type { Env } from '../src/config.js';
import { count, csrfFrom, insertUser, makeTestApp, signIn, type TestContext } from './helpers.js';
import { postJson, serveApp, statuses, until, type Served } from './parallel.js';

// Only the rule under test may refuse: the per-minute request caps are out of the way.
const OPEN = { LOGIN_REQUESTS_PER_MINUTE: '100000', API_LOGIN_REQUESTS_PER_MINUTE: '100000', LOGIN_MAX_FAILURES_PER_IP: '100000',
  LOGIN_MAX_FAILURES_PER_ACCOUNT: '5', LOGIN_LOCK_BASE_SECONDS: '60', LOGIN_LOCK_MAX_SECONDS: '3600' };
const withServer = (env: Env, run: (ctx: TestContext, server: Served) => Promise<void>) => serveApp({ ...OPEN, ...env }, run);

interface ThrottleRow { failures: number; in_flight: number; locked_until: string | null; lockouts: number }
const accountRow = (ctx: TestContext) =>
  ctx.db.prepare("SELECT failures, in_flight, locked_until, lockouts FROM login_throttle WHERE scope = 'account'").get() as ThrottleRow | undefined;
const verifications = (ctx: TestContext, userId: number) =>
  count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'login' AND outcome IN ('failure', 'success') AND user_id = ?", userId);
const lockSeconds = (ctx: TestContext, row: ThrottleRow | undefined) => (Date.parse(row!.locked_until!) - ctx.clock.now) / 1000;

describe('the sign-in budget under parallel guesses', () => {
  for (const n of [40, 150]) {
    test(`${n} parallel wrong passwords for one account: 5 are checked, the rest refused, and the lock is the first step`, () =>
      withServer({}, async (ctx, server) => {
        const user = await insertUser(ctx.db, { role: 'worker' });
        const answers = await Promise.all(Array.from({ length: n }, (_, i) =>
          postJson(`${server.url}/auth/login`, { username: user.username, password: `wrong guess ${i}` })));
        assert.deepEqual(statuses(answers), { 401: 5, 429: n - 5 });
        assert.equal(verifications(ctx, user.id), 5, 'five passwords were verified, no more');
        const row = accountRow(ctx);
        assert.equal(row?.lockouts, 1, 'a burst raises the lock by one step');
        assert.equal(lockSeconds(ctx, row), 60, 'the lock lasts the first step');
        assert.equal(row?.in_flight, 0, 'every reservation was settled');
        const waits = new Set(answers.filter((a) => a.status === 429).map((a) => a.headers.get('retry-after')));
        assert.ok([...waits].every((w) => w === '1' || w === '60'), 'a second while checks run, then the lock');
      }));
  }

  test('the right password sent while the budget is taken is refused, and stays refused after the burst', () =>
    withServer({}, async (ctx, server) => {
      const user = await insertUser(ctx.db, { role: 'worker' });
      const burst = Promise.all(Array.from({ length: 39 }, (_, i) =>
        postJson(`${server.url}/auth/login`, { username: user.username, password: `wrong guess ${i}` })));
      await until(() => {
        const row = accountRow(ctx);
        return Boolean(row && (row.failures + row.in_flight >= 5 || row.locked_until));
      }, 'five checks to be reserved');
      const right = await postJson(`${server.url}/auth/login`, { username: user.username, password: user.password });
      assert.equal(right.status, 429);
      assert.equal(right.body.access_token, undefined);
      await burst;
      assert.equal((await postJson(`${server.url}/auth/login`, { username: user.username, password: user.password })).status, 429);
      assert.equal(verifications(ctx, user.id), 5);
      assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM token_logins WHERE user_id = ?', user.id), 0, 'no login was created');
    }));

  test('an unknown username spends the budget exactly like a real one', () =>
    withServer({}, async (ctx, server) => {
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) =>
        postJson(`${server.url}/auth/login`, { username: 'nobody-at-all', password: `guess ${i}` })));
      assert.deepEqual(statuses(answers), { 401: 5, 429: 35 });
      assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'login' AND outcome = 'failure'"), 5);
      assert.equal(accountRow(ctx)?.lockouts, 1);
    }));

  test('150 parallel guesses across usernames from one IP check at most LOGIN_MAX_FAILURES_PER_IP passwords', () =>
    withServer({ LOGIN_MAX_FAILURES_PER_IP: '20' }, async (ctx, server) => {
      const answers = await Promise.all(Array.from({ length: 150 }, (_, i) =>
        postJson(`${server.url}/auth/login`, { username: `someone-${i}`, password: 'a guess' })));
      assert.deepEqual(statuses(answers), { 401: 20, 429: 130 });
      assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'login' AND outcome = 'failure'"), 20);
      const ip = ctx.db.prepare("SELECT in_flight, locked_until, lockouts FROM login_throttle WHERE scope = 'ip'").get() as ThrottleRow;
      assert.equal(ip.lockouts, 1);
      assert.equal(ip.in_flight, 0);
      assert.ok(ip.locked_until);
    }));

  test('addresses of one IPv6 /56 share one per-IP budget, and an IPv4-mapped address is its IPv4 address', () =>
    withServer({ TRUST_PROXY: '1', LOGIN_MAX_FAILURES_PER_IP: '5' }, async (ctx, server) => {
      const from = (address: string, i: number) =>
        postJson(`${server.url}/auth/login`, { username: `spray-${address}-${i}`, password: 'a guess' }, { 'x-forwarded-for': address });
      const v6 = await Promise.all(Array.from({ length: 12 }, (_, i) => from(`2001:db8:1:2${i.toString(16)}::${i + 1}`, i)));
      assert.deepEqual(statuses(v6), { 401: 5, 429: 7 });
      const v4 = [];
      for (const [i, address] of ['198.51.100.7', '::ffff:198.51.100.7', '::ffff:c633:6407'].entries()) v4.push(await from(address, i));
      for (let i = 3; i < 7; i += 1) v4.push(await from('198.51.100.7', i));
      assert.deepEqual(statuses(v4), { 401: 5, 429: 2 });
      assert.equal(count(ctx.db, "SELECT count(*) AS n FROM login_throttle WHERE scope = 'ip'"), 2, 'one row per client network');
    }));

  test('the panel form keeps the same budget under parallel posts', () =>
    withServer({}, async (ctx, server) => {
      const admin = await insertUser(ctx.db, { role: 'admin' });
      const agent = request.agent(server.url);
      const token = csrfFrom((await agent.get('/login')).text);
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) =>
        agent.post('/login').type('form').send({ _csrf: token, username: admin.username, password: `wrong guess ${i}` })));
      assert.deepEqual(statuses(answers), { 401: 5, 429: 25 });
      assert.equal(verifications(ctx, admin.id), 5);
    }));
});

describe('the current password shares the account budget', () => {
  test('20 parallel wrong current passwords on /auth/password: 5 checked and recorded, the rest 429, the account locked', () =>
    withServer({}, async (ctx, server) => {
      const user = await insertUser(ctx.db, { role: 'worker' });
      const signedIn = await postJson(`${server.url}/auth/login`, { username: user.username, password: user.password });
      const auth = { authorization: `Bearer ${signedIn.body.access_token as string}` };
      const hash = ctx.db.prepare('SELECT password_hash FROM users WHERE id = ?').pluck().get(user.id);
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) =>
        postJson(`${server.url}/auth/password`, { current_password: `wrong ${i}`, new_password: 'a brand new passphrase' }, auth)));
      assert.deepEqual(statuses(answers), { 400: 5, 429: 15 });
      assert.equal(answers.find((a) => a.status === 429)!.body.code, 'too_many_requests');
      assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'password.change' AND outcome = 'failure' AND user_id = ?", user.id), 5);
      assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'password.change' AND outcome = 'denied' AND user_id = ?", user.id), 15);
      assert.equal(ctx.db.prepare('SELECT password_hash FROM users WHERE id = ?').pluck().get(user.id), hash, 'the password did not change');
      const relogin = await postJson(`${server.url}/auth/login`, { username: user.username, password: user.password });
      assert.equal(relogin.status, 429, 'the account is locked for sign-in too');
      const right = await postJson(`${server.url}/auth/password`, { current_password: user.password, new_password: 'a brand new passphrase' }, auth);
      assert.equal(right.status, 429, 'even the right current password waits for the lock');
    }));

  test('the panel form records each wrong current password and answers 429 on the form once the budget is spent', async () => {
    const ctx = await makeTestApp(OPEN);
    try {
      const admin = await insertUser(ctx.db, { role: 'admin' });
      const agent = request.agent(ctx.app);
      await signIn(agent, admin.username, admin.password);
      const post = async (current: string) => {
        const page = await agent.get('/account/password');
        return agent.post('/account/password').type('form')
          .send({ _csrf: csrfFrom(page.text), current_password: current, new_password: 'a brand new passphrase', confirm_password: 'a brand new passphrase' });
      };
      for (let i = 0; i < 5; i += 1) assert.equal((await post(`wrong ${i}`)).status, 400);
      const locked = await post(admin.password);
      assert.equal(locked.status, 429);
      assert.match(locked.text, /Too many wrong passwords/);
      assert.ok(Number(locked.headers['retry-after']) > 0);
      assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'password.change' AND outcome = 'failure' AND user_id = ?", admin.id), 5);
      assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'password.change' AND outcome = 'success'"), 0);
    } finally {
      await ctx.close();
    }
  });
});

describe('other budgets and uniqueness under parallel requests', () => {
  test('50 parallel message logs from one sender store exactly the per-minute quota', () =>
    withServer({ RATE_LIMIT_MESSAGES_PER_MINUTE: '10', RATE_LIMIT_MESSAGES_PER_HOUR: '1000' }, async (ctx, server) => {
      const user = await insertUser(ctx.db, { role: 'worker' });
      const signedIn = await postJson(`${server.url}/auth/login`, { username: user.username, password: user.password });
      const auth = { authorization: `Bearer ${signedIn.body.access_token as string}` };
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) =>
        postJson(`${server.url}/api/messages/log`, { recipient_phone: `+1555123${String(i).padStart(4, '0')}` }, auth)));
      assert.deepEqual(statuses(answers), { 201: 10, 429: 40 });
      assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM message_logs WHERE sender_id = ?', user.id), 10);
    }));

  test('two parallel refreshes with one token: one wins, the other is reuse and the whole login is revoked', () =>
    withServer({}, async (ctx, server) => {
      const user = await insertUser(ctx.db, { role: 'worker' });
      const signedIn = await postJson(`${server.url}/auth/login`, { username: user.username, password: user.password });
      const auth = { authorization: `Bearer ${signedIn.body.refresh_token as string}` };
      const answers = await Promise.all([postJson(`${server.url}/auth/refresh`, {}, auth), postJson(`${server.url}/auth/refresh`, {}, auth)]);
      assert.deepEqual(statuses(answers), { 200: 1, 401: 1 });
      const winner = answers.find((a) => a.status === 200)!;
      const login = ctx.db.prepare('SELECT revoked_reason FROM token_logins WHERE user_id = ?').get(user.id) as { revoked_reason: string };
      assert.equal(login.revoked_reason, 'refresh_reuse');
      const check = await postJson(`${server.url}/auth/validate`, {}, { authorization: `Bearer ${winner.body.access_token as string}` });
      assert.equal(check.status, 401, "the winner's new tokens die with the login");
    }));

  test('ten parallel creations of one username in different cases make exactly one account', () =>
    withServer({}, async (ctx, server) => {
      const admin = await insertUser(ctx.db, { role: 'admin' });
      const signedIn = await postJson(`${server.url}/auth/login`, { username: admin.username, password: admin.password });
      const auth = { authorization: `Bearer ${signedIn.body.access_token as string}` };
      const names = ['twin-name', 'Twin-Name', 'TWIN-NAME', 'twin-Name', 'tWin-name'];
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) =>
        postJson(`${server.url}/api/users`, { username: names[i % names.length], password: 'a long enough passphrase', role: 'worker' }, auth)));
      assert.deepEqual(statuses(answers), { 201: 1, 409: 9 });
      assert.equal(count(ctx.db, "SELECT count(*) AS n FROM users WHERE username = 'twin-name' COLLATE NOCASE"), 1);
      assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'user.create' AND user_id = ?", admin.id), 1);
    }));
});
