import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { ConfigError, loadConfig } from '../src/config.js';
import { migrate, openDatabase, readMigrations } from '../src/db.js';
import { DEFAULT_FLAG_SEVERITY } from '../src/domain/activity.js';
import { count, insertUser, makeTestApp, tempDir, TEST_JWT_SECRET, TEST_SESSION_SECRET, type TestContext } from './helpers.js';
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

