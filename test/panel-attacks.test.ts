import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { count, csrfFrom, insertUser, makeTestApp, signIn, type TestContext } from './helpers.js';
import { serve, serveApp, statuses, type Served } from './parallel.js';

let ctx: TestContext;
let server: Served;
before(async () => {
  ctx = await makeTestApp({ LOGIN_REQUESTS_PER_MINUTE: '60' });
  server = await serve(ctx.app);
});
after(async () => {
  await server.close();
  await ctx.close();
});

const activityRows = (action: string) => count(ctx.db, 'SELECT count(*) AS n FROM activity_log WHERE action = ?', action);

describe('unsafe panel requests from another site are refused before anything else', () => {
  async function loginForm() {
    const agent = request.agent(ctx.app);
    const token = csrfFrom((await agent.get('/login')).text);
    return { agent, token };
  }

  for (const [name, headers] of [
    ['an Origin of another site', { Origin: 'https://evil.example' }],
    ['Origin: null (a sandboxed frame or a redirect)', { Origin: 'null' }],
    ['an Origin of our host on another port', { Origin: 'http://127.0.0.1:1' }],
    ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
  ] as const) {
    test(`a sign-in with ${name} answers 403, checks no password and spends no budget`, async () => {
      const admin = await insertUser(ctx.db, { role: 'admin' });
      const { agent, token } = await loginForm();
      const logins = activityRows('login');
      const res = await agent.post('/login').set(headers).type('form').send({ _csrf: token, username: admin.username, password: admin.password });
      assert.equal(res.status, 403);
      assert.match(res.text, /came from another site/);
      assert.equal(activityRows('login'), logins, 'no password was checked');
      assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM users WHERE id = ? AND last_login_at IS NOT NULL', admin.id), 0);
    });
  }

  test('a signed-in admin tricked into posting from another site terminates nobody, even with a valid token', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const worker = await insertUser(ctx.db, { role: 'worker' });
    const agent = request.agent(ctx.app);
    await signIn(agent, admin.username, admin.password);
    const token = csrfFrom((await agent.get(`/users/${worker.id}/terminate`)).text);
    const res = await agent.post(`/users/${worker.id}/terminate`).set('Origin', 'https://evil.example').type('form').send({ _csrf: token });
    assert.equal(res.status, 403);
    assert.equal(ctx.db.prepare('SELECT is_active FROM users WHERE id = ?').pluck().get(worker.id), 1);
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'user.terminate' AND target_id = ?", String(worker.id)), 0);
  });

  test('our own origin and same-origin fetch metadata pass; reads from anywhere pass', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const agent = request.agent(server.url);
    const token = csrfFrom((await agent.get('/login')).text);
    const res = await agent.post('/login').set({ Origin: server.url, 'Sec-Fetch-Site': 'same-origin' }).type('form')
      .send({ _csrf: token, username: admin.username, password: admin.password });
    assert.equal(res.status, 303);
    assert.equal((await agent.get('/dashboard').set({ Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' })).status, 200);
  });
});

describe('refusals of signed-in users', () => {
  test("a signed-in user's refusals are still written one by one, with who did it", async () => {
    const manager = await insertUser(ctx.db, { role: 'manager' });
    const agent = request.agent(ctx.app);
    await signIn(agent, manager.username, manager.password);
    for (let i = 0; i < 3; i += 1) assert.equal((await agent.get('/activity')).status, 403);
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'access.denied' AND user_id = ?", manager.id), 3);
  });
});

describe('anonymous refusals cannot flood the activity log', () => {
  // Its own app: the per-IP cap must start untouched by the tests above.
  test('500 forged anonymous posts write at most 10 rows, and the counts add up once the minute is over', () =>
    serveApp({ LOGIN_REQUESTS_PER_MINUTE: '60' }, async (ctx, server) => {
      const flood = async () => {
        const answers = [];
        for (let batch = 0; batch < 10; batch += 1) {
          answers.push(...await Promise.all(Array.from({ length: 50 }, (_, i) =>
            fetch(`${server.url}${i % 2 ? '/login' : '/users/1/terminate'}`, { method: 'POST', redirect: 'manual',
              headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '_csrf=forged&username=a&password=b' }))));
        }
        return answers;
      };
      const rowsBefore = count(ctx.db, 'SELECT count(*) AS n FROM activity_log');
      const answers = await flood();
      assert.deepEqual(statuses(answers), { 403: 60, 429: 440 }, 'the first minute’s worth fails CSRF, the rest is cut off');
      const written = count(ctx.db, 'SELECT count(*) AS n FROM activity_log') - rowsBefore;
      assert.ok(written <= 10, `${written} rows during the flood`);

      ctx.clock.now += 61_000;
      ctx.services.refusals.flush();
      const rows = ctx.db.prepare(`SELECT action, detail FROM activity_log WHERE id > (SELECT max(id) - 10 FROM activity_log)
      AND action IN ('csrf.failed', 'rate_limit.refused') AND user_id IS NULL`).all() as Array<{ action: string; detail: string }>;
      assert.ok(rows.length <= 10);
      const total = (action: string) => rows.filter((r) => r.action === action)
        .reduce((sum, r) => sum + (JSON.parse(r.detail) as { count: number }).count, 0);
      assert.equal(total('csrf.failed'), 60);
      assert.equal(total('rate_limit.refused'), 440);
      assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM activity_log') - rowsBefore, 4, 'first and rest, per kind');
    }));

});

describe('anonymous refusals from many addresses', () => {
  test('400 forged posts from 200 networks write at most 20 rows at once and at most 123 for the minute, and count every one', () =>
    serveApp({ TRUST_PROXY: '1' }, async (own, site) => {
      const before = count(own.db, 'SELECT count(*) AS n FROM activity_log');
      const post = (i: number) => fetch(`${site.url}/users/1/terminate`, { method: 'POST', redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': `2001:db8:0:${(i % 200).toString(16)}00::1` },
        body: '_csrf=forged' });
      const answers = await Promise.all(Array.from({ length: 400 }, (_, i) => post(i)));
      assert.deepEqual(statuses(answers), { 403: 400 });
      assert.equal(count(own.db, 'SELECT count(*) AS n FROM activity_log') - before, 20, 'the first 20 clients are written at once');
      own.clock.now += 61_000;
      own.services.refusals.flush();
      const rows = own.db.prepare("SELECT detail FROM activity_log WHERE action = 'csrf.failed' AND id > ?").all(before) as Array<{ detail: string }>;
      assert.equal(rows.length, 20 + 100 + 1, 'immediate rows, the 100 busiest clients, and the others together');
      const counted = rows.map((r) => JSON.parse(r.detail) as { count: number; clients?: number });
      assert.equal(counted.reduce((sum, d) => sum + d.count, 0), 400, 'every refusal is counted once');
      assert.equal(counted.find((d) => d.clients)?.clients, 100, 'the row for the other 100 clients says how many it covers');
    }));
});
