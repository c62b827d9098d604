import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { count, csrfFrom, insertUser, makeTestApp, sessionCookie, signIn, type TestContext } from './helpers.js';

let ctx: TestContext;
before(async () => {
  ctx = await makeTestApp({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', LOGIN_MAX_FAILURES_PER_IP: '1000', LOGIN_LOCK_BASE_SECONDS: '60' });
});
after(() => ctx.close());

describe('panel sign-in', () => {
  test('the root sends an anonymous visitor to /login and the form has labelled fields', async () => {
    const root = await request(ctx.app).get('/');
    assert.equal(root.status, 303);
    assert.equal(root.headers.location, '/login');
    const page = await request(ctx.app).get('/login');
    assert.equal(page.status, 200);
    assert.match(page.text, /<label for="username">/);
    assert.match(page.text, /<input id="username" name="username"/);
    assert.match(page.text, /<label for="password">/);
    assert.match(page.text, /<input id="password" name="password" type="password"/);
    assert.match(page.text, /<form method="post" action="\/login"/);
  });

  test('an admin signs in, gets a session only then, and reaches the dashboard', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const agent = request.agent(ctx.app);
    const page = await agent.get('/login');
    assert.equal(sessionCookie(page), undefined, 'the sign-in page stores no session');
    const res = await agent.post('/login').type('form').send({ _csrf: csrfFrom(page.text), username: admin.username, password: admin.password });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/dashboard');
    assert.ok(sessionCookie(res), 'the session starts at sign-in');
    const dashboard = await agent.get('/dashboard');
    assert.equal(dashboard.status, 200);
    assert.match(dashboard.text, /<h1>Dashboard<\/h1>/);
    assert.match(dashboard.headers['cache-control'] ?? '', /no-store/);
    const row = ctx.db.prepare('SELECT last_login_at, last_login_ip FROM users WHERE id = ?').get(admin.id) as { last_login_at: string | null };
    assert.ok(row.last_login_at, 'last login is recorded');
  });

  test('signing in again gets a new session id and the previous one is dead (no fixation)', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const agent = request.agent(ctx.app);
    const page = await agent.get('/login');
    const first = sessionCookie(await agent.post('/login').type('form').send({ _csrf: csrfFrom(page.text), username: admin.username, password: admin.password }))!;
    // The same browser posts the sign-in form again (a second tab), carrying its session cookie.
    const second = sessionCookie(await agent.post('/login').type('form').send({ _csrf: csrfFrom(page.text), username: admin.username, password: admin.password }));
    assert.ok(second && second !== first, 'the session id is regenerated at sign-in');
    const withOld = await request(ctx.app).get('/dashboard').set('Cookie', first);
    assert.equal(withOld.status, 303);
    assert.equal(withOld.headers.location, '/login');
  });

  test('an unknown user and a wrong password get the same status and page', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const agent = request.agent(ctx.app);
    const page = await agent.get('/login');
    const token = csrfFrom(page.text);
    const wrong = await agent.post('/login').type('form').send({ _csrf: token, username: admin.username, password: 'not the right password' });
    const unknown = await agent.post('/login').type('form').send({ _csrf: token, username: 'nobody-here', password: 'not the right password' });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    const normalise = (html: string, name: string) => html.replaceAll(name, 'NAME');
    assert.equal(normalise(wrong.text, admin.username), normalise(unknown.text, 'nobody-here'));
    assert.match(wrong.text, /Invalid username or password/);
  });

  test('a sign-in without a CSRF token is refused with 403 and creates no signed-in session', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const agent = request.agent(ctx.app);
    await agent.get('/login');
    const res = await agent.post('/login').type('form').send({ username: admin.username, password: admin.password });
    assert.equal(res.status, 403);
    assert.match(res.text, /expired or did not come from this site/);
    assert.equal((await agent.get('/dashboard')).status, 303);
    const stale = await agent.post('/login').type('form').send({ _csrf: 'forged', username: admin.username, password: admin.password });
    assert.equal(stale.status, 403);
    const last = ctx.db.prepare('SELECT last_login_at FROM users WHERE id = ?').get(admin.id) as { last_login_at: string | null };
    assert.equal(last.last_login_at, null, 'no login happened');
  });

  test('missing fields re-render the form with a message per field', async () => {
    const agent = request.agent(ctx.app);
    const page = await agent.get('/login');
    const res = await agent.post('/login').type('form').send({ _csrf: csrfFrom(page.text), username: 'someone', password: '' });
    assert.equal(res.status, 400);
    assert.match(res.text, /Enter your password/);
    assert.match(res.text, /value="someone"/);
  });

  test('a worker with the right password cannot enter the panel', async () => {
    const worker = await insertUser(ctx.db, { role: 'worker' });
    const agent = request.agent(ctx.app);
    const res = await signIn(agent, worker.username, worker.password);
    assert.equal(res.status, 403);
    assert.match(res.text, /cannot use the admin console/);
    assert.equal((await agent.get('/dashboard')).status, 303);
  });

  test('a manager can sign in but cannot open the admin-only activity page', async () => {
    const manager = await insertUser(ctx.db, { role: 'manager' });
    const agent = request.agent(ctx.app);
    assert.equal((await signIn(agent, manager.username, manager.password)).status, 303);
    assert.equal((await agent.get('/dashboard')).status, 200);
    const activity = await agent.get('/activity');
    assert.equal(activity.status, 403);
    assert.doesNotMatch(activity.text, /href="\/activity"/, 'the nav hides what a manager may not open');
  });

  test('an anonymous request for a panel page is sent to sign in', async () => {
    const res = await request(ctx.app).get('/users');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/login');
  });
});

describe('panel sign-out', () => {
  test('sign-out needs CSRF, destroys the session, and the old cookie then gets the login page', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const agent = request.agent(ctx.app);
    const login = await signIn(agent, admin.username, admin.password);
    const cookie = sessionCookie(login)!;
    const dashboard = await agent.get('/dashboard');

    const noToken = await agent.post('/logout').type('form').send({});
    assert.equal(noToken.status, 403);
    assert.equal((await agent.get('/dashboard')).status, 200, 'still signed in after a forged sign-out');

    const out = await agent.post('/logout').type('form').send({ _csrf: csrfFrom(dashboard.text) });
    assert.equal(out.status, 303);
    assert.equal(out.headers.location, '/login?signed_out=1');
    const replay = await request(ctx.app).get('/dashboard').set('Cookie', cookie);
    assert.equal(replay.status, 303);
    assert.equal(replay.headers.location, '/login');
    const sid = decodeURIComponent(cookie.split('=')[1]!).slice(2).split('.')[0];
    const store = new Database(path.join(ctx.dir, 'sessions.db'), { readonly: true });
    try {
      assert.equal(store.prepare('SELECT count(*) FROM sessions WHERE sid = ?').pluck().get(sid), 0, 'the session row is gone');
    } finally {
      store.close();
    }
  });
});

describe('immediate effect on panel sessions', () => {
  test('terminating an account ends its panel session at once', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const agent = request.agent(ctx.app);
    await signIn(agent, admin.username, admin.password);
    assert.equal((await agent.get('/dashboard')).status, 200);
    ctx.db.prepare('UPDATE users SET is_active = 0, terminated_at = ?, credential_version = credential_version + 1 WHERE id = ?')
      .run(new Date().toISOString(), admin.id);
    const res = await agent.get('/dashboard');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/login');
  });

  test('a session older than the absolute lifetime ends even when active', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const agent = request.agent(ctx.app);
    await signIn(agent, admin.username, admin.password);
    assert.equal((await agent.get('/dashboard')).status, 200);
    ctx.clock.now += 12 * 3600_000 + 1000;
    try {
      const res = await agent.get('/dashboard');
      assert.equal(res.status, 303);
      const login = await agent.get('/login');
      assert.match(login.text, /Your session has ended/);
    } finally {
      ctx.clock.now -= 12 * 3600_000 + 1000;
    }
  });
});

describe('forced password change', () => {
  test('an admin who must change the password is held on the change page until done; other sessions end', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin', mustChangePassword: true });
    const other = request.agent(ctx.app);
    await signIn(other, admin.username, admin.password);

    const agent = request.agent(ctx.app);
    const login = await signIn(agent, admin.username, admin.password);
    assert.equal(login.headers.location, '/account/password');
    const held = await agent.get('/dashboard');
    assert.equal(held.status, 303);
    assert.equal(held.headers.location, '/account/password');

    const form = await agent.get('/account/password');
    const token = csrfFrom(form.text);
    const hashBefore = ctx.db.prepare('SELECT password_hash FROM users WHERE id = ?').pluck().get(admin.id);
    const weak = await agent.post('/account/password').type('form')
      .send({ _csrf: token, current_password: admin.password, new_password: 'password1234', confirm_password: 'password1234' });
    assert.equal(weak.status, 400);
    assert.match(weak.text, /too common/);
    const mismatch = await agent.post('/account/password').type('form')
      .send({ _csrf: token, current_password: admin.password, new_password: 'a brand new secret 77', confirm_password: 'different' });
    assert.equal(mismatch.status, 400);
    assert.match(mismatch.text, /do not match/);
    const wrongCurrent = await agent.post('/account/password').type('form')
      .send({ _csrf: token, current_password: 'wrong wrong wrong', new_password: 'a brand new secret 77', confirm_password: 'a brand new secret 77' });
    assert.equal(wrongCurrent.status, 400);
    assert.match(wrongCurrent.text, /Current password is incorrect/);
    assert.equal(ctx.db.prepare('SELECT password_hash FROM users WHERE id = ?').pluck().get(admin.id), hashBefore, 'refusals change nothing');

    const done = await agent.post('/account/password').type('form')
      .send({ _csrf: token, current_password: admin.password, new_password: 'a brand new secret 77', confirm_password: 'a brand new secret 77' });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, '/dashboard');
    const dash = await agent.get('/dashboard');
    assert.equal(dash.status, 200);
    assert.match(dash.text, /Your password has been changed/);
    const row = ctx.db.prepare('SELECT password_hash, must_change_password FROM users WHERE id = ?').get(admin.id) as { password_hash: string; must_change_password: number };
    assert.notEqual(row.password_hash, hashBefore);
    assert.equal(row.must_change_password, 0);
    assert.equal((await other.get('/dashboard')).status, 303, 'the other session ended');
  });
});

describe('sign-in throttling', () => {
  test('repeated failures lock the account with 429 and Retry-After, even for the right password', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const agent = request.agent(ctx.app);
    const page = await agent.get('/login');
    const token = csrfFrom(page.text);
    const attempt = (password: string, ip = '10.0.0.1') =>
      agent.post('/login').set('X-Forwarded-For', ip).type('form').send({ _csrf: token, username: admin.username, password });
    for (let i = 0; i < 3; i += 1) assert.equal((await attempt('wrong password ' + i)).status, 401);
    const locked = await attempt(admin.password);
    assert.equal(locked.status, 429);
    assert.equal(locked.headers['retry-after'], '60');
    assert.match(locked.text, /Too many sign-in attempts/);
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM login_throttle WHERE scope = 'account' AND locked_until IS NOT NULL"), 1);

    ctx.clock.now += 61_000;
    for (let i = 0; i < 3; i += 1) assert.equal((await attempt('wrong again ' + i)).status, 401);
    const second = await attempt(admin.password);
    assert.equal(second.status, 429);
    assert.equal(second.headers['retry-after'], '120', 'the second lock lasts twice as long');

    ctx.clock.now += 121_000;
    assert.equal((await attempt(admin.password)).status, 303, 'after the lock the right password works');
    ctx.clock.now -= 182_000;
  });

  test("one account's lock does not lock other accounts on the same IP", async () => {
    const victim = await insertUser(ctx.db, { role: 'admin' });
    const colleague = await insertUser(ctx.db, { role: 'admin' });
    const agent = request.agent(ctx.app);
    const page = await agent.get('/login');
    const token = csrfFrom(page.text);
    for (let i = 0; i < 3; i += 1) {
      await agent.post('/login').type('form').send({ _csrf: token, username: victim.username, password: 'bad guess ' + i });
    }
    const res = await agent.post('/login').type('form').send({ _csrf: token, username: colleague.username, password: colleague.password });
    assert.equal(res.status, 303);
  });

  test('an unknown username locks exactly like a real one', async () => {
    const agent = request.agent(ctx.app);
    const page = await agent.get('/login');
    const token = csrfFrom(page.text);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const res = await agent.post('/login').type('form').send({ _csrf: token, username: 'ghost-account', password: 'guess ' + i });
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 429]);
  });
});

describe('per-IP ceiling', () => {
  test('failures across many usernames from one IP lock that IP, right password included', async () => {
    const own = await makeTestApp({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '100', LOGIN_MAX_FAILURES_PER_IP: '4' });
    try {
      const admin = await insertUser(own.db, { role: 'admin' });
      const agent = request.agent(own.app);
      const page = await agent.get('/login');
      const token = csrfFrom(page.text);
      for (let i = 0; i < 4; i += 1) {
        const res = await agent.post('/login').type('form').send({ _csrf: token, username: 'sprayed' + i, password: 'Spring2026!!!' });
        assert.equal(res.status, 401);
      }
      const res = await agent.post('/login').type('form').send({ _csrf: token, username: admin.username, password: admin.password });
      assert.equal(res.status, 429);
      assert.ok(Number(res.headers['retry-after']) > 0);
      assert.equal(count(own.db, "SELECT count(*) AS n FROM login_throttle WHERE scope = 'ip' AND locked_until IS NOT NULL"), 1);
    } finally {
      await own.close();
    }
  });

  test('the per-minute request cap answers 429 before any password is checked', async () => {
    const own = await makeTestApp({ LOGIN_REQUESTS_PER_MINUTE: '3' });
    try {
      const agent = request.agent(own.app);
      const page = await agent.get('/login');
      const token = csrfFrom(page.text);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        statuses.push((await agent.post('/login').type('form').send({ _csrf: token, username: 'x' + i, password: 'y' })).status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 429]);
      assert.equal(count(own.db, 'SELECT count(*) AS n FROM login_throttle WHERE scope = \'ip\''), 1);
    } finally {
      await own.close();
    }
  });
});
