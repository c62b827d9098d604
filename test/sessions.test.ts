import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, test } from 'node:test';
import type { SessionData } from 'express-session';
import request from 'supertest';
import { count, csrfFrom, insertUser, makeTestApp, sessionCookie, signIn, type TestContext } from './helpers.js';
import { serve, statuses } from './parallel.js';

function sessionRows(ctx: TestContext): number {
  const store = new Database(path.join(ctx.dir, 'sessions.db'), { readonly: true });
  try {
    return (store.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
  } finally {
    store.close();
  }
}

function sessionRowsWhere(ctx: TestContext, where: string, value: string | number): number {
  const store = new Database(path.join(ctx.dir, 'sessions.db'), { readonly: true });
  try {
    return (store.prepare(`SELECT COUNT(*) AS n FROM sessions WHERE ${where}`).get(value) as { n: number }).n;
  } finally {
    store.close();
  }
}

function loginCsrfCookie(res: request.Response): string | undefined {
  return ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => /^(__Host-)?nexus\.login-csrf=/.test(c));
}

let ctx: TestContext;
before(async () => {
  ctx = await makeTestApp({ LOGIN_PAGE_REQUESTS_PER_MINUTE: '1000000', LOGIN_REQUESTS_PER_MINUTE: '1000' });
});
after(() => ctx.close());

describe('anonymous visitors store no session', () => {
  test('10,000 anonymous page views (sign-in page in any case and with a trailing slash, protected page, 404, static file) add no session row; signing in adds exactly one', async () => {
    const server = await serve(ctx.app);
    try {
      const paths = ['/login', '/LOGIN', '/login/', '/Login/', '/users', '/USERS', '/no-such-page', '/css/app.css'];
      const answers: Array<{ status: number }> = [];
      for (let i = 0; i < 10_000; i += 20) {
        answers.push(...await Promise.all(Array.from({ length: 20 }, async (_, j) => {
          const res = await fetch(server.url + paths[(i + j) % paths.length], { redirect: 'manual' });
          await res.arrayBuffer();
          return { status: res.status };
        })));
      }
      assert.deepEqual(statuses(answers), { 200: 6250, 303: 2500, 404: 1250 });
      assert.equal(sessionRows(ctx), 0);
    } finally {
      await server.close();
    }
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const res = await signIn(request.agent(ctx.app), admin.username, admin.password);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/dashboard');
    assert.equal(sessionRows(ctx), 1);
  });

  test('the sign-in form token lives in its own HttpOnly, SameSite=Strict cookie', async () => {
    const page = await request(ctx.app).get('/login');
    const cookie = loginCsrfCookie(page);
    assert.ok(cookie, 'the form sets its CSRF cookie');
    assert.match(cookie, /^nexus\.login-csrf=[0-9a-f]+\.[0-9a-f]+;/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.equal(sessionCookie(page), undefined);
  });

  test('in production the sign-in form cookie is __Host- prefixed and Secure', async () => {
    const prod = await makeTestApp({ NODE_ENV: 'production' });
    try {
      const cookie = loginCsrfCookie(await request(prod.app).get('/login'));
      assert.match(cookie ?? '', /^__Host-nexus\.login-csrf=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    } finally {
      await prod.close();
    }
  });
});

describe('a sign-in without the browser\'s own form token is refused', () => {
  type Send = (agent: ReturnType<typeof request.agent>, admin: { username: string; password: string }) => Promise<request.Response>;
  async function refusedWithoutChange(send: Send) {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const rows = sessionRows(ctx);
    const events = count(ctx.db, "SELECT COUNT(*) AS n FROM activity_log WHERE action IN ('login', 'session.start')");
    const agent = request.agent(ctx.app);
    const res = await send(agent, admin);
    assert.equal(res.status, 403);
    assert.match(res.text, /The form has expired or did not come from this site/);
    assert.equal(sessionCookie(res), undefined);
    assert.equal(sessionRows(ctx), rows, 'no session stored');
    assert.equal(count(ctx.db, "SELECT COUNT(*) AS n FROM activity_log WHERE action IN ('login', 'session.start')"), events, 'no sign-in recorded');
    const user = ctx.db.prepare('SELECT last_login_at FROM users WHERE id = ?').get(admin.id) as { last_login_at: string | null };
    assert.equal(user.last_login_at, null);
    assert.equal((await agent.get('/dashboard')).status, 303, 'not signed in');
  }

  test('with no token in the form', () => refusedWithoutChange(async (agent, admin) => {
    await agent.get('/login');
    return agent.post('/login').type('form').send({ username: admin.username, password: admin.password });
  }));

  test('with a forged token that matches a forged cookie', () => refusedWithoutChange((agent, admin) => {
    const forged = `${'ab'.repeat(32)}.${'cd'.repeat(32)}`;
    return agent.post('/login').set('Cookie', `nexus.login-csrf=${forged}`).type('form')
      .send({ _csrf: forged, username: admin.username, password: admin.password });
  }));

  test('with another browser\'s valid token', () => refusedWithoutChange(async (agent, admin) => {
    const other = await request(ctx.app).get('/login');
    await agent.get('/login');
    return agent.post('/login').type('form').send({ _csrf: csrfFrom(other.text), username: admin.username, password: admin.password });
  }));

  test('with the right token but no cookie', () => refusedWithoutChange(async (_agent, admin) => {
    const page = await request(ctx.app).get('/login');
    return request(ctx.app).post('/login').type('form').send({ _csrf: csrfFrom(page.text), username: admin.username, password: admin.password });
  }));
});

describe('session upkeep', () => {
  test('the purge removes expired sessions and keeps live ones', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const live = request.agent(ctx.app);
    await signIn(live, admin.username, admin.password);
    // A session last used 31 minutes ago (the idle limit is 30), written as the store writes one.
    // (Through the store's own connection: a second SQLite library writing this file in the same
    // process would drop the store's POSIX locks.)
    const stale = { cookie: { maxAge: -60_000, originalMaxAge: 30 * 60_000 }, userId: admin.id } as unknown as SessionData;
    await new Promise<void>((resolve, reject) => ctx.sessionStore.set('stale-session-id', stale, (err?: Error) => (err ? reject(err) : resolve())));
    const before = sessionRows(ctx);
    assert.equal(sessionRowsWhere(ctx, 'sid = ?', 'stale-session-id'), 1);

    const purged = await ctx.sessionStore.purgeExpired();
    assert.equal(purged, 1);
    assert.equal(sessionRows(ctx), before - 1);
    assert.equal(sessionRowsWhere(ctx, 'sid = ?', 'stale-session-id'), 0);
    assert.equal(sessionRowsWhere(ctx, 'expired < ?', Date.now()), 0);
    assert.equal((await live.get('/dashboard')).status, 200, 'a live session survives the purge');
  });
});

describe('the sign-in page is rate limited per address', () => {
  test('past the limit GET /login answers 429 with Retry-After, other addresses still get the page', async () => {
    const limited = await makeTestApp({ LOGIN_PAGE_REQUESTS_PER_MINUTE: '5', TRUST_PROXY: '1' });
    try {
      const from = (ip: string, path = '/login') => request(limited.app).get(path).set('X-Forwarded-For', ip);
      const answers = [];
      // The router matches /LOGIN and /login/ too: they count against the same limit.
      for (const path of ['/login', '/LOGIN', '/login/', '/Login/', '/login', '/login', '/LOGIN/', '/login']) answers.push(await from('203.0.113.7', path));
      assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200, 429, 429, 429]);
      assert.match(answers[5]!.headers['retry-after'] ?? '', /^\d+$/);
      assert.match(answers[5]!.text, /Too many requests from your address/);
      assert.equal((await from('203.0.113.8')).status, 200);
      assert.equal((await request(limited.app).get('/users').set('X-Forwarded-For', '203.0.113.7')).status, 303, 'other pages are not counted');
    } finally {
      await limited.close();
    }
  });
});
