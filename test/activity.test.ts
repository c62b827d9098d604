import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { count, csrfFrom, insertUser, makeTestApp, signIn, type TestContext } from './helpers.js';

const apiLogin = (ctx: TestContext, username: string, password: string, ip?: string) => {
  const req = request(ctx.app).post('/auth/login');
  return (ip ? req.set('X-Forwarded-For', ip) : req).send({ username, password });
};
const flags = (ctx: TestContext, rule: string) => count(ctx.db, 'SELECT count(*) AS n FROM activity_flags WHERE rule = ?', rule);

describe('every security-relevant action writes one activity row, and none holds a secret', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await makeTestApp({ TRUST_PROXY: '1', RATE_LIMIT_MESSAGES_PER_MINUTE: '1', API_LOGIN_REQUESTS_PER_MINUTE: '8' });
  });
  after(() => ctx.close());

  test('the actions are recorded with actor, target, IP and outcome', async () => {
    const secrets: string[] = [];
    const admin = await insertUser(ctx.db, { role: 'admin', isOwner: true });
    secrets.push(admin.password);
    const panel = request.agent(ctx.app);
    const failed = await signIn(panel, admin.username, 'wrong panel password');
    assert.equal(failed.status, 401);
    const ok = await signIn(panel, admin.username, admin.password);
    secrets.push(decodeURIComponent(([] as string[]).concat(ok.headers['set-cookie'] ?? [])[0]!.split(';')[0]!.split('=')[1]!));
    const page = await panel.get('/users/new');
    const csrf = csrfFrom(page.text);
    secrets.push(csrf);
    await panel.post('/users').type('form').send({ _csrf: 'forged' });
    await panel.post('/users').type('form').send({ _csrf: csrf, username: 'audited1', role: 'worker', password: 'worker passphrase 11', confirm_password: 'worker passphrase 11' });
    const worker = ctx.db.prepare("SELECT id FROM users WHERE username = 'audited1'").pluck().get() as number;
    await panel.post(`/users/${worker}`).type('form').send({ _csrf: csrf, username: 'audited2' });
    await panel.post(`/users/${worker}/role`).type('form').send({ _csrf: csrf, role: 'manager' });
    await panel.post(`/users/${worker}/role`).type('form').send({ _csrf: csrf, role: 'worker' });
    await panel.post(`/users/${worker}/password`).type('form').send({ _csrf: csrf, password: 'reset passphrase 22', confirm_password: 'reset passphrase 22' });
    await panel.post(`/users/${worker}/sign-out`).type('form').send({ _csrf: csrf });
    await panel.post(`/users/${worker}/terminate`).type('form').send({ _csrf: csrf });
    await panel.post(`/users/${worker}/reactivate`).type('form').send({ _csrf: csrf });
    secrets.push('worker passphrase 11', 'reset passphrase 22');

    assert.equal((await apiLogin(ctx, 'audited2', 'wrong api password', '203.0.113.10')).status, 401);
    const tokens = (await apiLogin(ctx, 'audited2', 'reset passphrase 22', '203.0.113.10')).body;
    secrets.push(tokens.access_token, tokens.refresh_token, 'wrong api password', 'wrong panel password');
    const bearer = { Authorization: `Bearer ${tokens.access_token}` };
    await request(ctx.app).post('/auth/password').set(bearer).send({ current_password: 'reset passphrase 22', new_password: 'own new passphrase 33' });
    secrets.push('own new passphrase 33');
    await request(ctx.app).post('/api/contacts/sync').set(bearer).send({ contacts: [{ phone: '+34600000001' }], source_group: 'G' });
    await request(ctx.app).post('/api/messages/log').set(bearer).send({ recipient_phone: '+34600000001' });
    await request(ctx.app).post('/api/messages/log').set(bearer).send({ recipient_phone: '+34600000002' });
    await request(ctx.app).get('/api/users').set(bearer);
    const refreshed = (await request(ctx.app).post('/auth/refresh').set('Authorization', `Bearer ${tokens.refresh_token}`)).body;
    secrets.push(refreshed.access_token, refreshed.refresh_token);
    await request(ctx.app).post('/auth/refresh').set('Authorization', `Bearer ${tokens.refresh_token}`);
    const again = (await apiLogin(ctx, 'audited2', 'own new passphrase 33', '203.0.113.10')).body;
    secrets.push(again.access_token, again.refresh_token);
    await request(ctx.app).post('/auth/logout').set('Authorization', `Bearer ${again.access_token}`);
    for (let i = 0; i < 8; i += 1) await request(ctx.app).post('/auth/login').set('X-Forwarded-For', '203.0.113.10').send({});
    await panel.post('/logout').type('form').send({ _csrf: csrf });

    const actions = new Set((ctx.db.prepare('SELECT DISTINCT action || \':\' || outcome FROM activity_log').pluck().all() as string[]));
    for (const expected of ['login:failure', 'login:success', 'session.start:success', 'csrf.failed:denied', 'user.create:success', 'user.update:success',
      'user.role_change:success', 'user.password_reset:success', 'user.sign_out_everywhere:success', 'user.terminate:success',
      'user.reactivate:success', 'password.change:success', 'contacts.sync:success', 'message.quota_refused:denied', 'access.denied:denied',
      'token.refresh:success', 'token.refresh_reuse:denied', 'logout:success', 'rate_limit.refused:denied']) {
      assert.ok(actions.has(expected), `missing ${expected}; have ${[...actions].join(', ')}`);
    }
    const terminate = ctx.db.prepare("SELECT user_id, username, target_type, target_id, ip, login_ref FROM activity_log WHERE action = 'user.terminate'").get();
    assert.deepEqual(terminate, { user_id: admin.id, username: admin.username, target_type: 'user', target_id: String(worker), ip: '127.0.0.1', login_ref: terminate && (terminate as { login_ref: string }).login_ref });
    assert.match((terminate as { login_ref: string }).login_ref, /^session:[0-9a-f]{16}$/);
    const apiRow = ctx.db.prepare("SELECT ip, login_ref FROM activity_log WHERE action = 'contacts.sync'").get() as { ip: string; login_ref: string };
    assert.equal(apiRow.ip, '127.0.0.1');
    assert.equal(ctx.db.prepare("SELECT ip FROM activity_log WHERE action = 'login' AND outcome = 'success' AND username = 'audited2' LIMIT 1").pluck().get(), '203.0.113.10');
    assert.equal(apiRow.login_ref, JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString()).sid);

    const everything = JSON.stringify(ctx.db.prepare('SELECT * FROM activity_log').all());
    for (const secret of secrets) assert.ok(!everything.includes(secret), 'an activity row holds a secret');
  });
});

describe('anomaly rules fire on their trigger and not below it', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await makeTestApp({
      TRUST_PROXY: '1', LOGIN_MAX_FAILURES_PER_ACCOUNT: '100', LOGIN_MAX_FAILURES_PER_IP: '1000',
      ANOMALY_FAILED_LOGINS_PER_ACCOUNT: '5', ANOMALY_FAILED_LOGINS_PER_IP: '8', ANOMALY_ACTIONS_PER_MINUTE: '6',
      BUSINESS_HOURS: '09:00-17:00', BUSINESS_TZ: 'Europe/Madrid',
    });
    ctx.clock.now = Date.parse('2026-11-23T11:00:00.000Z'); // 12:00 in Madrid
  });
  after(() => ctx.close());

  test('failed_login_burst: 4 failures for an account raise nothing, the 5th raises one flag', async () => {
    const user = await insertUser(ctx.db, { role: 'worker' });
    for (let i = 0; i < 4; i += 1) await apiLogin(ctx, user.username, 'nope ' + i, '198.51.100.1');
    assert.equal(flags(ctx, 'failed_login_burst'), 0);
    await apiLogin(ctx, user.username, 'nope 5', '198.51.100.1');
    await apiLogin(ctx, user.username, 'nope 6', '198.51.100.1');
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_flags WHERE rule = 'failed_login_burst' AND user_id = ?", user.id), 1, 'one flag per burst');
  });

  test('failed_login_burst from one IP across usernames fires at its own threshold', async () => {
    for (let i = 0; i < 7; i += 1) await apiLogin(ctx, `nobody${i}`, 'guess', '198.51.100.77');
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_flags WHERE summary LIKE '%198.51.100.77%'"), 0);
    await apiLogin(ctx, 'nobody8', 'guess', '198.51.100.77');
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_flags WHERE summary LIKE '%198.51.100.77%'"), 1);
    // Its own rule since triage, about the IP and no user.
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_flags WHERE rule = 'ip_login_burst' AND ip = '198.51.100.77' AND user_id IS NULL"), 1);
  });

  test('off_hours: activity at 12:00 Madrid raises nothing; at 03:00 it does', async () => {
    const user = await insertUser(ctx.db, { role: 'worker' });
    await apiLogin(ctx, user.username, user.password);
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_flags WHERE rule = 'off_hours' AND user_id = ?", user.id), 0);
    const saved = ctx.clock.now;
    ctx.clock.now = Date.parse('2026-11-23T02:00:00.000Z');
    try {
      await apiLogin(ctx, user.username, user.password);
    } finally {
      ctx.clock.now = saved;
    }
    const flag = ctx.db.prepare("SELECT severity, summary FROM activity_flags WHERE rule = 'off_hours' AND user_id = ?").get(user.id) as { severity: string; summary: string };
    assert.equal(flag.severity, 'low');
    assert.match(flag.summary, /at 03:00 \(Europe\/Madrid\)/);
  });

  test('rapid_actions: 6 actions in a minute raise nothing, the 7th does', async () => {
    const user = await insertUser(ctx.db, { role: 'worker' });
    const token = (await apiLogin(ctx, user.username, user.password)).body.access_token;
    for (let i = 0; i < 5; i += 1) {
      await request(ctx.app).post('/api/contacts/sync').set('Authorization', `Bearer ${token}`).send({ contacts: [{ phone: `+3461000000${i}` }] });
    }
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_flags WHERE rule = 'rapid_actions' AND user_id = ?", user.id), 0);
    await request(ctx.app).post('/api/contacts/sync').set('Authorization', `Bearer ${token}`).send({ contacts: [{ phone: '+34610000009' }] });
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_flags WHERE rule = 'rapid_actions' AND user_id = ?", user.id), 1);
  });

  test('critical_action: a termination is flagged, a rename is not', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin', isOwner: true, username: 'crit-owner' });
    const token = (await apiLogin(ctx, admin.username, admin.password)).body.access_token;
    const worker = await insertUser(ctx.db, { role: 'worker' });
    await request(ctx.app).put(`/api/users/${worker.id}`).set('Authorization', `Bearer ${token}`).send({ username: 'renamed-crit' });
    assert.equal(flags(ctx, 'critical_action'), 0);
    await request(ctx.app).delete(`/api/users/${worker.id}`).set('Authorization', `Bearer ${token}`);
    const flag = ctx.db.prepare("SELECT user_id, severity, summary FROM activity_flags WHERE rule = 'critical_action'").get() as { user_id: number; severity: string; summary: string };
    // A termination is a privileged change, not a sign of attack: medium by default (it was high before FLAG_SEVERITY).
    assert.deepEqual([flag.user_id, flag.severity], [admin.id, 'medium']);
    assert.match(flag.summary, new RegExp(`user.terminate \\(user ${worker.id}\\)`));
  });

  test('new_ip: a first sign-in and a known IP raise nothing; an unseen IP does', async () => {
    const user = await insertUser(ctx.db, { role: 'worker' });
    await apiLogin(ctx, user.username, user.password, '192.0.2.1');
    await apiLogin(ctx, user.username, user.password, '192.0.2.1');
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_flags WHERE rule = 'new_ip' AND user_id = ?", user.id), 0);
    await apiLogin(ctx, user.username, user.password, '192.0.2.99');
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_flags WHERE rule = 'new_ip' AND user_id = ?", user.id), 1);
  });
});

describe('the activity API and page are for admins', () => {
  let ctx: TestContext;
  let adminToken: string;
  before(async () => {
    ctx = await makeTestApp({ TRUST_PROXY: '1' });
    const admin = await insertUser(ctx.db, { role: 'admin', isOwner: true });
    adminToken = (await apiLogin(ctx, admin.username, admin.password)).body.access_token;
  });
  after(() => ctx.close());

  test('managers and workers get 403 from the API and the page', async () => {
    const manager = await insertUser(ctx.db, { role: 'manager' });
    const worker = await insertUser(ctx.db, { role: 'worker' });
    const victim = await insertUser(ctx.db, { role: 'worker' });
    await request(ctx.app).delete(`/api/users/${victim.id}`).set('Authorization', `Bearer ${adminToken}`);
    const open = ctx.db.prepare('SELECT id FROM activity_flags WHERE acknowledged_at IS NULL ORDER BY id DESC LIMIT 1').pluck().get() as number;
    assert.ok(open, 'a critical_action flag is open');
    const flagsBefore = JSON.stringify(ctx.db.prepare('SELECT * FROM activity_flags').all());
    for (const user of [manager, worker]) {
      const token = (await apiLogin(ctx, user.username, user.password)).body.access_token;
      for (const url of ['/api/activity', '/api/activity/flags']) {
        assert.equal((await request(ctx.app).get(url).set('Authorization', `Bearer ${token}`)).status, 403, url);
      }
      assert.equal((await request(ctx.app).post(`/api/activity/flags/${open}/acknowledge`).set('Authorization', `Bearer ${token}`)).status, 403);
    }
    assert.equal(JSON.stringify(ctx.db.prepare('SELECT * FROM activity_flags').all()), flagsBefore, 'no flag was acknowledged');
    const agent = request.agent(ctx.app);
    await signIn(agent, manager.username, manager.password);
    assert.equal((await agent.get('/activity')).status, 403);
    assert.equal((await agent.get('/activity.csv')).status, 403);
  });

  test('the API filters events and lists, then acknowledges, flags', async () => {
    const user = await insertUser(ctx.db, { role: 'worker' });
    await apiLogin(ctx, user.username, user.password, '192.0.2.10');
    await apiLogin(ctx, user.username, user.password, '192.0.2.11');
    const events = await request(ctx.app).get(`/api/activity?user_id=${user.id}&action=login&outcome=success`).set('Authorization', `Bearer ${adminToken}`);
    assert.equal(events.status, 200);
    assert.equal(events.body.total, 2);
    assert.deepEqual(Object.keys(events.body.events[0]).sort(), ['action', 'at', 'detail', 'id', 'ip', 'outcome', 'target_id', 'target_type', 'user_agent', 'user_id', 'username']);
    // A sign-in is about the account it names, which the row names as it was called then.
    assert.deepEqual(events.body.events[0].detail, { target_username: user.username, channel: 'api' });
    assert.deepEqual([events.body.events[0].target_type, events.body.events[0].target_id], ['user', String(user.id)]);
    assert.equal((await request(ctx.app).get('/api/activity?outcome=maybe').set('Authorization', `Bearer ${adminToken}`)).status, 400);

    const open = await request(ctx.app).get('/api/activity/flags?acknowledged=false').set('Authorization', `Bearer ${adminToken}`);
    const flag = open.body.flags.find((f: { rule: string; user_id: number }) => f.rule === 'new_ip' && f.user_id === user.id);
    assert.ok(flag, JSON.stringify(open.body));
    // The original fields, and the ones triage added (the contract only grows).
    assert.deepEqual(Object.keys(flag).sort(), ['acknowledged_at', 'acknowledged_by', 'acknowledged_by_username', 'activity_id', 'at', 'event_ids',
      'id', 'ip', 'note', 'reason', 'rule', 'severity', 'summary', 'user_id', 'username']);
    const ack = await request(ctx.app).post(`/api/activity/flags/${flag.id}/acknowledge`).set('Authorization', `Bearer ${adminToken}`);
    assert.equal(ack.status, 200);
    assert.ok(ack.body.flag.acknowledged_at);
    const done = await request(ctx.app).get('/api/activity/flags?acknowledged=true').set('Authorization', `Bearer ${adminToken}`);
    assert.ok(done.body.flags.some((f: { id: number }) => f.id === flag.id));
    assert.equal((await request(ctx.app).post('/api/activity/flags/999999/acknowledge').set('Authorization', `Bearer ${adminToken}`)).status, 404);
  });

  test('the page acknowledges with CSRF and exports the current filter', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const agent = request.agent(ctx.app);
    await signIn(agent, admin.username, admin.password);
    const user = await insertUser(ctx.db, { role: 'worker' });
    await apiLogin(ctx, user.username, user.password, '192.0.2.20');
    await apiLogin(ctx, user.username, user.password, '192.0.2.21');
    const flagId = ctx.db.prepare("SELECT id FROM activity_flags WHERE rule = 'new_ip' AND user_id = ?").pluck().get(user.id) as number;
    const page = await agent.get('/activity');
    assert.match(page.text, /Open flags/);
    assert.equal((await agent.post(`/activity/flags/${flagId}/acknowledge`).type('form').send({})).status, 403);
    assert.equal(ctx.db.prepare('SELECT acknowledged_at FROM activity_flags WHERE id = ?').pluck().get(flagId), null);
    const ack = await agent.post(`/activity/flags/${flagId}/acknowledge`).type('form').send({ _csrf: csrfFrom(page.text) });
    assert.equal(ack.status, 303);
    assert.notEqual(ctx.db.prepare('SELECT acknowledged_at FROM activity_flags WHERE id = ?').pluck().get(flagId), null);
    const csv = await agent.get(`/activity.csv?user_id=${user.id}&action=login`);
    assert.equal(csv.text.trim().split('\r\n').length, 3);
    const userPage = await agent.get(`/users/${user.id}`);
    assert.match(userPage.text, /Risk score/);
  });
});
