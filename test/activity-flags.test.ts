import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { ConfigError, loadConfig } from '../src/config.js';
import { migrate, openDatabase, readMigrations } from '../src/db.js';
import { DEFAULT_FLAG_SEVERITY } from '../src/domain/activity.js';
import { count, csrfFrom, insertUser, makeTestApp, signIn, tempDir, TEST_JWT_SECRET, TEST_SESSION_SECRET, type TestContext } from './helpers.js';
import { runTs } from './process.js';
import path from 'node:path';

const MINUTE = 60_000;
const apiLogin = (ctx: TestContext, username: string, password: string, ip = '192.0.2.1') =>
  request(ctx.app).post('/auth/login').set('X-Forwarded-For', ip).send({ username, password });
const tokenOf = async (ctx: TestContext, user: { username: string; password: string }, ip?: string) =>
  (await apiLogin(ctx, user.username, user.password, ip)).body.access_token as string;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
interface FlagRow { id: number; user_id: number | null; ip: string | null; rule: string; severity: string; summary: string; reason: string }
const flagsOf = (ctx: TestContext, rule: string): FlagRow[] =>
  ctx.db.prepare('SELECT id, user_id, ip, rule, severity, summary, reason FROM activity_flags WHERE rule = ? ORDER BY id').all(rule) as FlagRow[];
const eventsOf = (ctx: TestContext, flag: number) => ctx.db.prepare('SELECT activity_id FROM flag_events WHERE flag_id = ? ORDER BY activity_id').pluck().all(flag) as number[];
const appEnv = { TRUST_PROXY: '1', LOGIN_MAX_FAILURES_PER_ACCOUNT: '100', LOGIN_MAX_FAILURES_PER_IP: '1000', API_LOGIN_REQUESTS_PER_MINUTE: '10000',
  ANOMALY_FAILED_LOGINS_PER_ACCOUNT: '3', ANOMALY_FAILED_LOGINS_PER_IP: '4', ANOMALY_ACTIONS_PER_MINUTE: '5' };

/** Makes each rule fire once; returns the accounts involved. */
async function raiseEveryRule(ctx: TestContext, admin: { id: number; username: string; password: string }) {
  const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
  for (let i = 0; i < 3; i += 1) await apiLogin(ctx, worker.username, `wrong ${i}`, `198.51.100.${i + 1}`);
  for (let i = 0; i < 4; i += 1) await apiLogin(ctx, `nobody${i}`, 'guess', '203.0.113.50');
  const adminToken = await tokenOf(ctx, admin);
  const other = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
  await request(ctx.app).put(`/api/users/${other.id}/role`).set(bearer(adminToken)).send({ role: 'manager' });
  const pair = (await apiLogin(ctx, worker.username, worker.password, '192.0.2.1')).body;
  await request(ctx.app).post('/auth/refresh').set(bearer(pair.refresh_token));
  await request(ctx.app).post('/auth/refresh').set(bearer(pair.refresh_token));
  await apiLogin(ctx, worker.username, worker.password, '192.0.2.200');
  const rapid = await tokenOf(ctx, other);
  for (let i = 0; i < 6; i += 1) await request(ctx.app).get('/api/contacts').set(bearer(rapid));
  const saved = ctx.clock.now;
  ctx.clock.now = Date.parse('2026-11-23T03:00:00.000Z');
  await apiLogin(ctx, admin.username, admin.password, '192.0.2.1');
  ctx.clock.now = saved;
  return { admin, worker, other };
}

describe('flag rules: a severity per rule, the right subject, a reason on every flag', () => {
  let ctx: TestContext;
  let owner: { id: number; username: string; password: string };
  before(async () => {
    ctx = await makeTestApp({ ...appEnv, BUSINESS_HOURS: '08:00-20:00' });
    ctx.clock.now = Date.parse('2026-11-23T12:00:00.000Z');
    owner = await insertUser(ctx.db, { role: 'admin', isOwner: true });
  });
  after(() => ctx.close());

  test('each rule raises its default severity, and every flag says why', async () => {
    await raiseEveryRule(ctx, owner);
    const rows = ctx.db.prepare('SELECT rule, severity, reason FROM activity_flags').all() as FlagRow[];
    assert.deepEqual([...new Set(rows.map((r) => r.rule))].sort(), Object.keys(DEFAULT_FLAG_SEVERITY).sort(), 'every rule fired');
    for (const r of rows) {
      assert.equal(r.severity, DEFAULT_FLAG_SEVERITY[r.rule as keyof typeof DEFAULT_FLAG_SEVERITY], r.rule);
      assert.ok(r.reason.length > 10, `${r.rule} has a reason`);
    }
    assert.deepEqual([DEFAULT_FLAG_SEVERITY.refresh_reuse, DEFAULT_FLAG_SEVERITY.failed_login_burst, DEFAULT_FLAG_SEVERITY.ip_login_burst,
      DEFAULT_FLAG_SEVERITY.off_hours], ['high', 'medium', 'high', 'low']);
  });

  test('a burst from one IP names the IP and no user, and links every failure of it', async () => {
    for (let i = 0; i < 5; i += 1) await apiLogin(ctx, `stranger${i}`, 'guess', '203.0.113.77');
    const [flag] = flagsOf(ctx, 'ip_login_burst').filter((f) => f.ip === '203.0.113.77');
    assert.ok(flag);
    assert.equal(flag.user_id, null);
    assert.match(flag.summary, /4 failed sign-ins from 203\.0\.113\.77/);
    const failures = ctx.db.prepare("SELECT id FROM activity_log WHERE ip = '203.0.113.77' AND action = 'login' ORDER BY id").pluck().all();
    assert.deepEqual(eventsOf(ctx, flag.id), failures, 'the four that raised it and the fifth that repeated it');
  });

  test('a burst against one account names the account, whichever IPs it came from', async () => {
    const worker = await insertUser(ctx.db, { role: 'worker' });
    for (let i = 0; i < 3; i += 1) await apiLogin(ctx, worker.username, `nope ${i}`, `198.51.100.${20 + i}`);
    const flags = flagsOf(ctx, 'failed_login_burst').filter((f) => f.user_id === worker.id);
    assert.equal(flags.length, 1);
    assert.equal(flags[0]!.ip, null);
    assert.match(flags[0]!.summary, new RegExp(`3 failed sign-ins for ${worker.username}`));
    assert.equal(eventsOf(ctx, flags[0]!.id).length, 3);
  });

  test('refresh-token reuse is its own rule, high, about the account', async () => {
    const worker = await insertUser(ctx.db, { role: 'worker' });
    const pair = (await apiLogin(ctx, worker.username, worker.password)).body;
    await request(ctx.app).post('/auth/refresh').set(bearer(pair.refresh_token)).expect(200);
    await request(ctx.app).post('/auth/refresh').set(bearer(pair.refresh_token)).expect(401);
    const [flag] = flagsOf(ctx, 'refresh_reuse').filter((f) => f.user_id === worker.id);
    assert.equal(flag?.severity, 'high');
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_flags WHERE rule = 'critical_action' AND user_id = ?", worker.id), 0);
  });

  test('a manager terminating a worker she created minutes ago raises nothing; later, or an admin role change, is critical', async () => {
    const manager = await insertUser(ctx.db, { role: 'manager', createdBy: owner.id });
    const token = await tokenOf(ctx, manager);
    const since = count(ctx.db, 'SELECT coalesce(max(id), 0) AS n FROM activity_flags');
    const critical = () => flagsOf(ctx, 'critical_action').filter((f) => f.id > since);
    const made = (await request(ctx.app).post('/api/users').set(bearer(token)).send({ username: `mistake${Date.now()}`, password: 'a worker passphrase 1', role: 'worker' })).body.user;
    ctx.clock.now += 5 * MINUTE;
    await request(ctx.app).delete(`/api/users/${made.id}`).set(bearer(token)).expect(200);
    assert.deepEqual(critical(), [], 'undoing a fresh account is routine');

    const kept = (await request(ctx.app).post('/api/users').set(bearer(token)).send({ username: `kept${Date.now()}`, password: 'a worker passphrase 2', role: 'worker' })).body.user;
    ctx.clock.now += 31 * MINUTE;
    const later = await tokenOf(ctx, manager);
    await request(ctx.app).delete(`/api/users/${kept.id}`).set(bearer(later)).expect(200);
    assert.equal(critical().length, 1, 'a termination 31 minutes on is flagged');
    assert.match(critical()[0]!.reason, /Terminations are flagged/);

    const ownerToken = await tokenOf(ctx, owner);
    const promoted = await insertUser(ctx.db, { role: 'worker', createdBy: owner.id });
    await request(ctx.app).put(`/api/users/${promoted.id}/role`).set(bearer(ownerToken)).send({ role: 'manager' }).expect(200);
    const roleFlag = critical().find((f) => f.user_id === owner.id);
    assert.equal(roleFlag?.reason, 'Role changes are always flagged.');
  });

  test('an admin terminating a worker created by someone else is still flagged', async () => {
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: owner.id });
    const admin = await insertUser(ctx.db, { role: 'admin', createdBy: owner.id });
    await request(ctx.app).delete(`/api/users/${worker.id}`).set(bearer(await tokenOf(ctx, admin))).expect(200);
    assert.equal(flagsOf(ctx, 'critical_action').filter((f) => f.user_id === admin.id).length, 1);
  });
});

describe('first-run owner creation', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await makeTestApp();
  });
  after(() => ctx.close());

  test('the owner created at the first start raises nothing; another admin created by the operator is critical', async () => {
    await ctx.services.users.ensureFirstAdmin({ username: 'first.owner', password: 'the first owner passphrase 1' });
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM activity_flags'), 0);
    await ctx.services.users.createAdmin({ username: 'second.admin', password: 'the second admin passphrase 2' });
    const flags = flagsOf(ctx, 'critical_action');
    assert.equal(flags.length, 1);
    assert.equal(flags[0]!.reason, 'It touches an admin account.');
  });
});

describe('FLAG_SEVERITY', () => {
  test('overrides the rules it names and leaves the others at their default', async () => {
    const ctx = await makeTestApp({ ...appEnv, FLAG_SEVERITY: ' failed_login_burst = low , new_ip=high' });
    try {
      const worker = await insertUser(ctx.db, { role: 'worker' });
      for (let i = 0; i < 3; i += 1) await apiLogin(ctx, worker.username, `nope ${i}`);
      for (let i = 0; i < 1; i += 1) await apiLogin(ctx, 'nobody', 'guess');
      assert.equal(flagsOf(ctx, 'failed_login_burst')[0]?.severity, 'low');
      assert.equal(flagsOf(ctx, 'ip_login_burst')[0]?.severity, 'high', 'not named: its default');
    } finally {
      await ctx.close();
    }
  });

  test('a value that is no rule or no severity is refused, each problem named', () => {
    const base = { NODE_ENV: 'test', DATA_DIR: tempDir(), JWT_SECRET_KEY: TEST_JWT_SECRET, SESSION_SECRET: TEST_SESSION_SECRET };
    const problems = (value: string) => {
      try {
        loadConfig({ ...base, FLAG_SEVERITY: value });
        return [];
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.problems;
      }
    };
    assert.deepEqual(problems('off_hours=low,new_ip=medium'), []);
    assert.deepEqual(problems('off_hour=low,new_ip=severe,rapid_actions,new_ip=low'), [
      'FLAG_SEVERITY: "off_hour" is not a rule (failed_login_burst, ip_login_burst, off_hours, rapid_actions, critical_action, refresh_reuse, new_ip)',
      'FLAG_SEVERITY: "severe" for new_ip is not a severity (low, medium, high)',
      'FLAG_SEVERITY: "rapid_actions" is not rule=severity (e.g. off_hours=low)',
      'FLAG_SEVERITY: new_ip is given twice',
    ]);
  });

  test('the server refuses to start on one, with the message', async () => {
    const res = await runTs('src/server.ts', [], { NODE_ENV: 'test', DATA_DIR: tempDir(), JWT_SECRET_KEY: TEST_JWT_SECRET, SESSION_SECRET: TEST_SESSION_SECRET,
      SECURITY_PORT: '0', FLAG_SEVERITY: 'off_hours=urgent' });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /configuration error: FLAG_SEVERITY: "urgent" for off_hours is not a severity/);
  });
});

describe('migration 014 keeps the flags raised before it', () => {
  test('an IP burst blamed on a user moves to the IP, a refresh reuse gets its rule, and every flag links its row', () => {
    const dir = tempDir();
    const db = openDatabase(path.join(dir, 'security.db'));
    try {
      migrate(db, readMigrations().filter((m) => m.version < 14));
      const user = Number(db.prepare("INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES ('old', '$argon2id$old', 'worker', '2026-01-01', '2026-01-01')").run().lastInsertRowid);
      const row = (action: string) => Number(db.prepare(`INSERT INTO activity_log (at, user_id, action, outcome, prev_hash, hash)
        VALUES ('2026-01-01T00:00:00.000Z', ?, ?, 'denied', 'p', 'h')`).run(user, action).lastInsertRowid);
      const flag = db.prepare(`INSERT INTO activity_flags (at, user_id, rule, severity, summary, activity_id, dedupe_key, acknowledged_by, acknowledged_at)
        VALUES ('2026-01-01T00:00:00.000Z', @user, @rule, 'high', @summary, @row, @key, @by, @ackAt)`);
      flag.run({ user, rule: 'failed_login_burst', summary: '20 failed sign-ins from 198.51.100.9 in 10 minutes', row: row('login'), key: 'ip:198.51.100.9', by: null, ackAt: null });
      flag.run({ user, rule: 'failed_login_burst', summary: '5 failed sign-ins for old in 10 minutes', row: row('login'), key: `user:${user}`, by: null, ackAt: null });
      flag.run({ user, rule: 'critical_action', summary: 'old: token.refresh_reuse', row: row('token.refresh_reuse'), key: null, by: user, ackAt: '2026-01-02T00:00:00.000Z' });
      migrate(db);
      const rows = db.prepare('SELECT user_id, ip, rule, severity, acknowledged_at, reason <> \'\' AS reasoned FROM activity_flags ORDER BY id').all();
      assert.deepEqual(rows, [
        { user_id: null, ip: '198.51.100.9', rule: 'ip_login_burst', severity: 'high', acknowledged_at: null, reasoned: 1 },
        { user_id: user, ip: null, rule: 'failed_login_burst', severity: 'high', acknowledged_at: null, reasoned: 1 },
        { user_id: user, ip: null, rule: 'refresh_reuse', severity: 'high', acknowledged_at: '2026-01-02T00:00:00.000Z', reasoned: 1 },
      ]);
      assert.equal(db.prepare('SELECT count(*) FROM flag_events fe JOIN activity_flags f ON f.id = fe.flag_id AND f.activity_id = fe.activity_id').pluck().get(), 3);
    } finally {
      db.close();
    }
  });
});

describe('flag triage in the console', () => {
  let ctx: TestContext;
  let admin: { id: number; username: string; password: string };
  let agent: ReturnType<typeof request.agent>;
  before(async () => {
    ctx = await makeTestApp(appEnv);
    admin = await insertUser(ctx.db, { role: 'admin', isOwner: true, username: 'triage.owner' });
    agent = request.agent(ctx.app);
    await signIn(agent, admin.username, admin.password);
  });
  after(() => ctx.close());

  /** A worker signing in from a second IP: one new_ip flag (medium), about the worker. */
  async function newIpFlag(): Promise<{ flag: number; user: { id: number; username: string; password: string } }> {
    const user = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    await apiLogin(ctx, user.username, user.password, '192.0.2.1');
    await apiLogin(ctx, user.username, user.password, '192.0.2.2');
    return { flag: flagsOf(ctx, 'new_ip').find((f) => f.user_id === user.id)!.id, user };
  }
  const acks = (id: number) => count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'flag.acknowledge' AND target_id = ?", String(id));
  const state = (id: number) => ctx.db.prepare('SELECT acknowledged_by, acknowledged_at, acknowledged_note FROM activity_flags WHERE id = ?').get(id) as
    { acknowledged_by: number | null; acknowledged_at: string | null; acknowledged_note: string | null };

  test('an admin acknowledges several flags in one action with a note; they stay listed with who, when and the note', async () => {
    const chosen = [(await newIpFlag()).flag, (await newIpFlag()).flag, (await newIpFlag()).flag];
    const left = (await newIpFlag()).flag;
    const page = await agent.get('/activity/flags').expect(200);
    for (const id of [...chosen, left]) assert.match(page.text, new RegExp(`name="flag_ids" value="${id}"`));
    const res = await agent.post('/activity/flags/acknowledge').type('form')
      .send(`_csrf=${encodeURIComponent(csrfFrom(page.text))}&${chosen.map((id) => `flag_ids=${id}`).join('&')}&note=${encodeURIComponent('Staff moved to the new office network')}`);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/activity/flags');
    for (const id of chosen) {
      assert.deepEqual({ ...state(id), acknowledged_at: typeof state(id).acknowledged_at }, { acknowledged_by: admin.id, acknowledged_at: 'string', acknowledged_note: 'Staff moved to the new office network' });
      assert.equal(acks(id), 1, 'one activity row per flag');
    }
    const row = ctx.db.prepare("SELECT user_id, target_type, detail FROM activity_log WHERE action = 'flag.acknowledge' AND target_id = ?").get(String(chosen[0])) as { user_id: number; target_type: string; detail: string };
    assert.deepEqual([row.user_id, row.target_type, JSON.parse(row.detail).note], [admin.id, 'flag', 'Staff moved to the new office network']);
    assert.equal(state(left).acknowledged_at, null, 'an unchecked flag is left open');
    const afterwards = await agent.get('/activity/flags').expect(200);
    assert.match(afterwards.text, /3 flags were acknowledged\./);
    assert.doesNotMatch(afterwards.text, new RegExp(`value="${chosen[0]}"`), 'the open list no longer offers them');
    const done = await agent.get('/activity/flags?state=acknowledged').expect(200);
    assert.match(done.text, new RegExp(`id="flag-${chosen[0]}"`));
    assert.match(done.text, /Acknowledged by triage\.owner, <time datetime="[^"]+">/);
    assert.match(done.text, /<blockquote class="ack-note">Staff moved to the new office network<\/blockquote>/);
  });

  test('one id that is no flag, a note too long or no flag chosen: 400, the form again naming every problem, nothing acknowledged', async () => {
    const { flag } = await newIpFlag();
    const page = await agent.get('/activity/flags');
    const csrf = encodeURIComponent(csrfFrom(page.text));
    const rows = () => count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'flag.acknowledge'");
    const before = rows();
    const missing = await agent.post('/activity/flags/acknowledge').type('form').send(`_csrf=${csrf}&flag_ids=${flag}&flag_ids=999999`);
    assert.equal(missing.status, 400);
    assert.match(missing.text, /No flag has the id 999999; nothing was acknowledged/);
    assert.match(missing.text, new RegExp(`value="${flag}" id="choose-${flag}" checked`), 'the choice is kept');
    const both = await agent.post('/activity/flags/acknowledge').type('form').send(`_csrf=${csrf}&flag_ids=abc&note=${'x'.repeat(501)}`);
    assert.equal(both.status, 400);
    assert.match(both.text, /A chosen flag is not a flag id/);
    assert.match(both.text, /The note must be at most 500 characters/);
    assert.match(both.text, /aria-invalid="true">x{501}<\/textarea>/, 'the note is shown again as typed');
    const none = await agent.post('/activity/flags/acknowledge').type('form').send(`_csrf=${csrf}&note=hello`);
    assert.equal(none.status, 400);
    assert.match(none.text, /Choose at least one flag to acknowledge/);
    assert.equal(state(flag).acknowledged_at, null);
    assert.equal(rows(), before);
  });

  test('the list filters by rule, severity and state, and a filter it cannot read is ignored with a message', async () => {
    const { flag: open } = await newIpFlag();
    for (let i = 0; i < 4; i += 1) await apiLogin(ctx, `nobody${i}`, 'guess', '203.0.113.9');
    const ipBurst = flagsOf(ctx, 'ip_login_burst').find((f) => f.ip === '203.0.113.9')!.id;
    const ids = (html: string) => [...html.matchAll(/<tr id="flag-(\d+)"/g)].map((m) => Number(m[1]));
    const byRule = ids((await agent.get('/activity/flags?rule=ip_login_burst').expect(200)).text);
    assert.ok(byRule.includes(ipBurst) && !byRule.includes(open));
    const high = ids((await agent.get('/activity/flags?severity=high').expect(200)).text);
    assert.ok(high.includes(ipBurst) && !high.includes(open));
    const medium = ids((await agent.get('/activity/flags?severity=medium&rule=new_ip').expect(200)).text);
    assert.ok(medium.includes(open) && !medium.includes(ipBurst));
    const acknowledged = ids((await agent.get('/activity/flags?state=acknowledged').expect(200)).text);
    assert.ok(!acknowledged.includes(open) && acknowledged.length >= 3);
    const all = ids((await agent.get('/activity/flags?state=all').expect(200)).text);
    assert.ok(all.includes(open) && acknowledged.every((id) => all.includes(id)));
    const bad = await agent.get('/activity/flags?severity=urgent').expect(200);
    assert.match(bad.text, /severity must be low, medium or high\. The filters were ignored\./);
    const page = await agent.get('/activity/flags?rule=ip_login_burst');
    const res = await agent.post('/activity/flags/acknowledge?rule=ip_login_burst').type('form').send({ _csrf: csrfFrom(page.text), flag_ids: String(ipBurst) });
    assert.equal(res.headers.location, '/activity/flags?rule=ip_login_burst', 'back to the same filter');
  });

  test('each flag shows the events that raised it: the raising row, or every row of a burst', async () => {
    const worker = await insertUser(ctx.db, { role: 'worker' });
    for (let i = 0; i < 3; i += 1) await apiLogin(ctx, worker.username, `wrong ${i}`, `198.51.100.${40 + i}`);
    const burst = flagsOf(ctx, 'failed_login_burst').find((f) => f.user_id === worker.id)!;
    const { flag, user } = await newIpFlag();
    const page = (await agent.get('/activity/flags').expect(200)).text;
    const cell = (id: number) => page.slice(page.indexOf(`<tr id="flag-${id}"`), page.indexOf('</tr>', page.indexOf(`<tr id="flag-${id}"`)));
    assert.match(cell(burst.id), /3 events/);
    for (const e of eventsOf(ctx, burst.id)) assert.match(cell(burst.id), new RegExp(`#${e}<`));
    assert.equal(eventsOf(ctx, burst.id).length, 3);
    const raising = ctx.db.prepare('SELECT activity_id FROM activity_flags WHERE id = ?').pluck().get(flag) as number;
    assert.deepEqual(eventsOf(ctx, flag), [raising]);
    assert.match(cell(flag), new RegExp(`1 event</summary>[\\s\\S]*#${raising}<`));
    assert.match(cell(flag), new RegExp(`<a href="/users/${user.id}">${user.username}</a>`));
    const api = await request(ctx.app).get(`/api/activity/flags?rule=failed_login_burst&user_id=${worker.id}`).set(bearer(await tokenOf(ctx, admin))).expect(200);
    assert.deepEqual(api.body.flags[0].event_ids, eventsOf(ctx, burst.id));
  });

  test('the risk score on the user page names the open flags that make it up, with their weights', async () => {
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    await apiLogin(ctx, worker.username, worker.password, '192.0.2.1');
    await apiLogin(ctx, worker.username, worker.password, '192.0.2.2');
    for (let i = 0; i < 3; i += 1) await apiLogin(ctx, worker.username, `wrong ${i}`, '192.0.2.2');
    const risk = ctx.services.activity.riskOf(worker.id);
    assert.equal(risk.score, 6);
    assert.deepEqual(risk.bySeverity, [{ severity: 'medium', count: 2, weight: 3 }]);
    assert.deepEqual(risk.flags.map((f) => [f.rule, f.weight]), [['failed_login_burst', 3], ['new_ip', 3]]);
    const text = (await agent.get(`/users/${worker.id}`).expect(200)).text;
    assert.match(text, /Risk score \(open flags, last 7 days\): <strong class="risk">6<\/strong>\s*= 2 medium × 3/);
    assert.match(text, /<td>\+3<\/td><td><span class="severity severity-medium">medium<\/span><\/td><td><code>failed_login_burst<\/code>/);
    assert.match(text, new RegExp(`href="/activity/flags\\?user_id=${worker.id}"`));
    const page = await agent.get('/activity/flags');
    await agent.post(`/activity/flags/${risk.flags[0]!.id}/acknowledge`).type('form').send({ _csrf: csrfFrom(page.text) }).expect(303);
    assert.equal(ctx.services.activity.riskOf(worker.id).score, 3, 'an acknowledged flag no longer counts');
  });

  test('managers cannot see the flags page or acknowledge; workers cannot through the API; no CSRF token, no acknowledgement', async () => {
    const { flag } = await newIpFlag();
    const manager = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
    const managerAgent = request.agent(ctx.app);
    await signIn(managerAgent, manager.username, manager.password);
    await managerAgent.get('/activity/flags').expect(403);
    const csrf = csrfFrom((await managerAgent.get('/dashboard')).text);
    await managerAgent.post('/activity/flags/acknowledge').type('form').send({ _csrf: csrf, flag_ids: String(flag) }).expect(403);
    await managerAgent.post(`/activity/flags/${flag}/acknowledge`).type('form').send({ _csrf: csrf }).expect(403);
    for (const user of [manager, await insertUser(ctx.db, { role: 'worker', createdBy: manager.id })]) {
      const token = await tokenOf(ctx, user);
      await request(ctx.app).get('/api/activity/flags').set(bearer(token)).expect(403);
      await request(ctx.app).post('/api/activity/flags/acknowledge').set(bearer(token)).send({ ids: [flag] }).expect(403);
    }
    await agent.post('/activity/flags/acknowledge').type('form').send({ flag_ids: String(flag) }).expect(403);
    assert.equal(state(flag).acknowledged_at, null);
    assert.equal(acks(flag), 0);
  });

  test('the API lists with the new filters and acknowledges many with a note; one unknown id refuses the lot', async () => {
    const a = (await newIpFlag()).flag;
    const b = (await newIpFlag()).flag;
    const token = await tokenOf(ctx, admin);
    const list = await request(ctx.app).get('/api/activity/flags?rule=new_ip&state=open&limit=500').set(bearer(token)).expect(200);
    assert.ok(list.body.flags.every((f: { rule: string; acknowledged_at: string | null }) => f.rule === 'new_ip' && f.acknowledged_at === null));
    assert.equal(list.body.total, list.body.flags.length);
    const refused = await request(ctx.app).post('/api/activity/flags/acknowledge').set(bearer(token)).send({ ids: [a, 987654] }).expect(400);
    assert.match(refused.body.error, /987654/);
    assert.equal(state(a).acknowledged_at, null);
    await request(ctx.app).post('/api/activity/flags/acknowledge').set(bearer(token)).send({ ids: [a], note: 'n'.repeat(501) }).expect(400);
    const ok = await request(ctx.app).post('/api/activity/flags/acknowledge').set(bearer(token)).send({ ids: [a, b, a], note: 'known travel' }).expect(200);
    assert.deepEqual([ok.body.acknowledged, ok.body.already_acknowledged], [[a, b], []]);
    const again = await request(ctx.app).post(`/api/activity/flags/${a}/acknowledge`).set(bearer(token)).expect(200);
    assert.deepEqual([again.body.flag.note, again.body.flag.acknowledged_by_username], ['known travel', admin.username]);
    assert.equal(acks(a), 1);
  });

  test('concurrent bulk acknowledgements of overlapping sets acknowledge each flag once, one activity row per flag', async () => {
    const flags: number[] = [];
    for (let i = 0; i < 8; i += 1) flags.push((await newIpFlag()).flag);
    const admins = [admin, await insertUser(ctx.db, { role: 'admin', createdBy: admin.id }), await insertUser(ctx.db, { role: 'admin', createdBy: admin.id })];
    const tokens = await Promise.all(admins.map((a) => tokenOf(ctx, a)));
    const panel = agent;
    const csrf = csrfFrom((await panel.get('/activity/flags')).text);
    const sets = [flags.slice(0, 5), flags.slice(2, 8), flags.slice(1, 7), flags, flags.slice(4), flags.slice(0, 3)];
    const rowsBefore = count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'flag.acknowledge'");
    const answers = await Promise.all(sets.map((ids, i) => (i % 3 === 2
      ? panel.post('/activity/flags/acknowledge').type('form').send(`_csrf=${encodeURIComponent(csrf)}&${ids.map((id) => `flag_ids=${id}`).join('&')}`)
      : request(ctx.app).post('/api/activity/flags/acknowledge').set(bearer(tokens[i % 3]!)).send({ ids, note: `admin ${i}` }))));
    assert.ok(answers.every((r) => r.status === 200 || r.status === 303), answers.map((r) => r.status).join());
    const claimed = answers.filter((r) => r.status === 200).flatMap((r) => r.body.acknowledged as number[]);
    assert.equal(new Set(claimed).size, claimed.length, 'no flag acknowledged by two calls');
    for (const id of flags) {
      assert.notEqual(state(id).acknowledged_at, null);
      assert.equal(acks(id), 1, `flag ${id}`);
    }
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'flag.acknowledge'") - rowsBefore, flags.length);
    assert.equal(ctx.services.activity.verifyChain(), null, 'the chain still verifies');
  });
});
