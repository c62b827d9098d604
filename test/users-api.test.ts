import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { count, insertUser, makeTestApp, signIn, type TestContext } from './helpers.js';

let ctx: TestContext;
let admin: { id: number; username: string; password: string };
let adminToken: string;

const login = async (username: string, password: string) => {
  const res = await request(ctx.app).post('/auth/login').send({ username, password });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as { access_token: string; refresh_token: string; user: Record<string, unknown> };
};
const as = (token: string) => ({
  get: (url: string) => request(ctx.app).get(url).set('Authorization', `Bearer ${token}`),
  post: (url: string) => request(ctx.app).post(url).set('Authorization', `Bearer ${token}`),
  put: (url: string) => request(ctx.app).put(url).set('Authorization', `Bearer ${token}`),
  delete: (url: string) => request(ctx.app).delete(url).set('Authorization', `Bearer ${token}`),
});
const usersRow = (id: number) => ctx.db.prepare('SELECT * FROM users WHERE id = ?').get(id);

before(async () => {
  ctx = await makeTestApp({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000' });
  admin = await insertUser(ctx.db, { role: 'admin', isOwner: true });
  adminToken = (await login(admin.username, admin.password)).access_token;
});
after(() => ctx.close());

describe('GET /api/users', () => {
  test('an admin lists everyone with the contract fields; a manager only the accounts they created', async () => {
    const manager = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
    const mine = await insertUser(ctx.db, { role: 'worker', createdBy: manager.id });
    await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    const all = await as(adminToken).get('/api/users?limit=500');
    assert.equal(all.status, 200);
    assert.equal(all.body.total, count(ctx.db, 'SELECT count(*) AS n FROM users'));
    assert.deepEqual(Object.keys(all.body.users[0]).sort(), ['created_at', 'created_by', 'id', 'is_active', 'last_login_at', 'role', 'username']);
    const managerToken = (await login(manager.username, manager.password)).access_token;
    const scoped = await as(managerToken).get('/api/users');
    assert.equal(scoped.body.total, 1);
    assert.deepEqual(scoped.body.users.map((u: { id: number }) => u.id), [mine.id]);
    assert.equal(scoped.body.users[0].is_active, true);
  });

  test('search, role, status, limit and offset filter, and total honours the filters', async () => {
    const tag = 'zq' + Date.now().toString(36);
    for (let i = 0; i < 5; i += 1) await insertUser(ctx.db, { username: `${tag}-w${i}`, role: 'worker', createdBy: admin.id });
    await insertUser(ctx.db, { username: `${tag}-m`, role: 'manager', createdBy: admin.id });
    ctx.db.prepare("UPDATE users SET is_active = 0, terminated_at = '2026-01-01T00:00:00.000Z' WHERE username = ?").run(`${tag}-w0`);
    const page = await as(adminToken).get(`/api/users?search=${tag.toUpperCase()}&role=worker&limit=2&offset=1`);
    assert.equal(page.status, 200);
    assert.equal(page.body.total, 5);
    assert.equal(page.body.users.length, 2);
    const active = await as(adminToken).get(`/api/users?search=${tag}&role=worker&status=active`);
    assert.equal(active.body.total, 4);
    const terminated = await as(adminToken).get(`/api/users?search=${tag}&status=terminated`);
    assert.deepEqual(terminated.body.users.map((u: { username: string }) => u.username), [`${tag}-w0`]);
  });

  test('% and _ in a search are literal characters', async () => {
    await insertUser(ctx.db, { username: 'pct_literal.one', role: 'worker' });
    const underscore = await as(adminToken).get('/api/users?search=t_l');
    assert.deepEqual(underscore.body.users.map((u: { username: string }) => u.username), ['pct_literal.one']);
    const percent = await as(adminToken).get('/api/users?search=%25');
    assert.equal(percent.body.total, 0);
  });

  test('bad limit, offset, role or status answer 400 naming the field', async () => {
    for (const [query, field] of [['limit=0', 'limit'], ['limit=501', 'limit'], ['limit=abc', 'limit'], ['offset=-1', 'offset'], ['role=owner', 'role'], ['status=gone', 'status']]) {
      const res = await as(adminToken).get(`/api/users?${query}`);
      assert.equal(res.status, 400, query);
      assert.ok(res.body.fields[field!], `${query} names ${field}: ${JSON.stringify(res.body)}`);
    }
  });

  test('without a token the users API answers 401', async () => {
    assert.equal((await request(ctx.app).get('/api/users')).status, 401);
    assert.equal((await request(ctx.app).post('/api/users').send({})).status, 401);
  });
});

describe('POST /api/users input', () => {
  test('a taken username, in any case, answers 409 and writes nothing', async () => {
    const taken = await insertUser(ctx.db, { role: 'worker' });
    const before = count(ctx.db, 'SELECT count(*) AS n FROM users');
    const res = await as(adminToken).post('/api/users').send({ username: taken.username.toUpperCase(), password: 'a fine passphrase 12', role: 'worker' });
    assert.equal(res.status, 409);
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM users'), before);
  });

  test('a weak password, bad username, bad role or extra field answers 400 naming the field', async () => {
    const before = count(ctx.db, 'SELECT count(*) AS n FROM users');
    const cases: Array<[object, string, RegExp]> = [
      [{ username: 'newbie01', password: 'short', role: 'worker' }, 'password', /at least 12/],
      [{ username: 'newbie01', password: 'password1234', role: 'worker' }, 'password', /too common/],
      [{ username: 'newbie01', password: 'newbie01 and more', role: 'worker' }, 'password', /username/],
      [{ username: 'x', password: 'a fine passphrase 12', role: 'worker' }, 'username', /at least 3/],
      [{ username: 'bad name!', password: 'a fine passphrase 12', role: 'worker' }, 'username', /letters, digits/],
      [{ username: 'newbie01', password: 'a fine passphrase 12', role: 'owner' }, 'role', /role must be/],
      [{ username: 'newbie01', password: 'a fine passphrase 12' }, 'role', /role must be/],
      [{ username: 'newbie01', password: 'a fine passphrase 12', role: 'worker', created_by: 1 }, 'created_by', /Unknown field/],
    ];
    for (const [body, field, message] of cases) {
      const res = await as(adminToken).post('/api/users').send(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.error, message);
      assert.ok(res.body.fields?.[field], `names ${field}: ${JSON.stringify(res.body)}`);
    }
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM users'), before);
  });
});

describe('PUT /api/users/:id', () => {
  test('unknown fields (mass assignment) answer 400 and nothing changes', async () => {
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    const before = usersRow(worker.id);
    for (const body of [{ role: 'admin' }, { created_by: admin.id }, { id: 1 }, { is_owner: true }, { username: 'okname1', role: 'manager' }, { is_active: 'false' }, {}]) {
      const res = await as(adminToken).put(`/api/users/${worker.id}`).send(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(typeof res.body.error, 'string');
    }
    assert.deepEqual(usersRow(worker.id), before);
  });

  test('a username change and a password reset in one request are all-or-nothing', async () => {
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    const before = usersRow(worker.id);
    const res = await as(adminToken).put(`/api/users/${worker.id}`).send({ username: 'brand-new-name', password: 'weak' });
    assert.equal(res.status, 400);
    assert.deepEqual(usersRow(worker.id), before);
  });

  test('a reset password must be changed: the token login says so and the panel insists', async () => {
    const manager = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
    const res = await as(adminToken).put(`/api/users/${manager.id}`).send({ password: 'temporary passphrase 77' });
    assert.equal(res.status, 200);
    const relogin = await login(manager.username, 'temporary passphrase 77');
    assert.equal(relogin.user.must_change_password, true);
    const agent = request.agent(ctx.app);
    const panel = await signIn(agent, manager.username, 'temporary passphrase 77');
    assert.equal(panel.headers.location, '/account/password');
    assert.equal((await agent.get('/users')).headers.location, '/account/password');
  });
});

describe('termination, role change and sign-out take effect at once', () => {
  test('terminating a manager ends their panel session and their token logins; their accounts stay', async () => {
    const manager = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: manager.id });
    const agent = request.agent(ctx.app);
    await signIn(agent, manager.username, manager.password);
    assert.equal((await agent.get('/users')).status, 200);
    const tokens = await login(manager.username, manager.password);

    const res = await as(adminToken).delete(`/api/users/${manager.id}`);
    assert.deepEqual(res.body, { message: 'User terminated successfully' });
    assert.equal((await agent.get('/users')).status, 303, 'panel session ended');
    assert.equal((await request(ctx.app).post('/auth/validate').set('Authorization', `Bearer ${tokens.access_token}`)).status, 401);
    assert.equal((await request(ctx.app).post('/auth/refresh').set('Authorization', `Bearer ${tokens.refresh_token}`)).status, 401);
    const row = ctx.db.prepare('SELECT is_active, terminated_by, terminated_at FROM users WHERE id = ?').get(manager.id) as { is_active: number; terminated_by: number; terminated_at: string };
    assert.equal(row.is_active, 0);
    assert.equal(row.terminated_by, admin.id);
    assert.ok(row.terminated_at);
    assert.equal((usersRow(worker.id) as { created_by: number }).created_by, manager.id, 'the accounts they created stay');
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'user.terminate' AND user_id = ?", admin.id) >= 1, true);
  });

  test('a role change ends the token logins, which then show the new role', async () => {
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    const tokens = await login(worker.username, worker.password);
    const res = await as(adminToken).put(`/api/users/${worker.id}/role`).send({ role: 'manager' });
    assert.equal(res.status, 200);
    assert.equal(res.body.user.role, 'manager');
    assert.equal((await request(ctx.app).post('/auth/validate').set('Authorization', `Bearer ${tokens.access_token}`)).status, 401);
    const again = await login(worker.username, worker.password);
    const validate = await request(ctx.app).post('/auth/validate').set('Authorization', `Bearer ${again.access_token}`);
    assert.equal(validate.body.role, 'manager');
    const toAdmin = await as(adminToken).put(`/api/users/${worker.id}/role`).send({ role: 'admin' });
    assert.equal(toAdmin.status, 403);
  });

  test('reactivation lets the account sign in again', async () => {
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    await as(adminToken).delete(`/api/users/${worker.id}`);
    assert.equal((await request(ctx.app).post('/auth/login').send({ username: worker.username, password: worker.password })).status, 401);
    const res = await as(adminToken).put(`/api/users/${worker.id}`).send({ is_active: true });
    assert.equal(res.status, 200);
    assert.equal(res.body.user.is_active, true);
    await login(worker.username, worker.password);
  });
});

describe('handing over a terminated manager’s accounts', () => {
  test('an admin moves every account to another manager, who then sees them; a manager cannot', async () => {
    const leaving = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
    const staying = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
    const a = await insertUser(ctx.db, { role: 'worker', createdBy: leaving.id });
    const b = await insertUser(ctx.db, { role: 'worker', createdBy: leaving.id });
    await as(adminToken).delete(`/api/users/${leaving.id}`);
    const stayingToken = (await login(staying.username, staying.password)).access_token;

    const refused = await as(stayingToken).post(`/api/users/${leaving.id}/transfer`).send({ manager_id: staying.id });
    assert.equal(refused.status, 403);
    const toWorker = await as(adminToken).post(`/api/users/${leaving.id}/transfer`).send({ manager_id: a.id });
    assert.equal(toWorker.status, 400);
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM users WHERE created_by = ?', leaving.id), 2);

    const res = await as(adminToken).post(`/api/users/${leaving.id}/transfer`).send({ manager_id: staying.id });
    assert.deepEqual(res.body, { message: 'Handed over 2 accounts', moved: 2 });
    const seen = await as(stayingToken).get('/api/users');
    assert.deepEqual(seen.body.users.map((u: { id: number }) => u.id).sort(), [a.id, b.id].sort());
  });
});

describe('a manager’s scope is the workers it created, as of now', () => {
  test('an account the manager created leaves its list and data scope when promoted, and comes back when demoted', async () => {
    const manager = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
    const peer = await insertUser(ctx.db, { role: 'worker', createdBy: manager.id });
    const managerToken = (await login(manager.username, manager.password)).access_token;
    const peerToken = (await login(peer.username, peer.password)).access_token;
    const logged = await as(peerToken).post('/api/messages/log').send({ recipient_phone: '+14155550123', message_content: 'hello' });
    assert.equal(logged.status, 201, JSON.stringify(logged.body));
    const seen = async () => ({
      users: (await as(managerToken).get('/api/users')).body.users.map((u: { id: number }) => u.id),
      senders: (await as(managerToken).get('/api/messages')).body.messages.map((m: { sender_id: number }) => m.sender_id),
    });
    assert.deepEqual(await seen(), { users: [peer.id], senders: [peer.id] });

    await as(adminToken).put(`/api/users/${peer.id}/role`).send({ role: 'manager' }).expect(200);
    assert.deepEqual(await seen(), { users: [], senders: [] });
    assert.equal((await as(managerToken).get(`/api/users/${peer.id}`)).status, 404);

    await as(adminToken).put(`/api/users/${peer.id}/role`).send({ role: 'worker' }).expect(200);
    assert.deepEqual(await seen(), { users: [peer.id], senders: [peer.id] });
  });

  test('handing over moves the workers only; a manager’s promoted account stays where it was', async () => {
    const leaving = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
    const receiver = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: leaving.id });
    const promoted = await insertUser(ctx.db, { role: 'worker', createdBy: leaving.id });
    await as(adminToken).put(`/api/users/${promoted.id}/role`).send({ role: 'manager' }).expect(200);
    const res = await as(adminToken).post(`/api/users/${leaving.id}/transfer`).send({ manager_id: receiver.id });
    assert.deepEqual(res.body, { message: 'Handed over 1 accounts', moved: 1 });
    const createdBy = (id: number) => (usersRow(id) as { created_by: number }).created_by;
    assert.deepEqual([createdBy(worker.id), createdBy(promoted.id)], [receiver.id, leaving.id]);
  });

  test('handing over from an account that is not a manager answers 400 naming the id and moves nothing', async () => {
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    const receiver = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
    await insertUser(ctx.db, { role: 'worker', createdBy: worker.id });
    const res = await as(adminToken).post(`/api/users/${worker.id}/transfer`).send({ manager_id: receiver.id });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'bad_request');
    assert.ok(res.body.fields.id);
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM users WHERE created_by = ?', worker.id), 1);
  });
});

describe('refusal codes', () => {
  test('deleting yourself answers 400 with code bad_request, and you stay active', async () => {
    const res = await as(adminToken).delete(`/api/users/${admin.id}`);
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'bad_request');
    assert.deepEqual(Object.keys(res.body.fields), ['id']);
    assert.equal((usersRow(admin.id) as { is_active: number }).is_active, 1);
  });

  test('403 answers carry code forbidden and 404 answers code not_found', async () => {
    const other = await insertUser(ctx.db, { role: 'admin' });
    const otherToken = (await login(other.username, other.password)).access_token;
    const forbidden = await as(otherToken).delete(`/api/users/${admin.id}`);
    assert.deepEqual([forbidden.status, forbidden.body.code], [403, 'forbidden']);
    const missing = await as(adminToken).delete('/api/users/9007199254740991');
    assert.deepEqual([missing.status, missing.body.code], [404, 'not_found']);
    assert.equal((usersRow(admin.id) as { is_active: number }).is_active, 1);
  });
});

// Each spelling reaches `:id` as written (percent-escapes decoded); only canonical decimals are ids.
const BAD_IDS = ['1e0', '0x1', '01', '-1', '1.0', '%201', '1%20', '%', '%E0%A4', '%D9%A1', '+1', '1_0', '0', '99999999999999999999', '9007199254740993'];

describe('path ids', () => {
  test('every users route answers 400 naming the id for a non-canonical id, and nothing changes', async () => {
    const target = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    ctx.db.prepare('UPDATE users SET id = 1000 WHERE id = ?').run(target.id);
    const before = JSON.stringify(ctx.db.prepare('SELECT * FROM users ORDER BY id').all());
    const events = count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action LIKE 'user.%'");
    for (const raw of [...BAD_IDS, '1e3', '01000', '1000.0']) {
      for (const [method, path, body] of [['get', ''], ['put', '', { username: 'renamed1' }], ['delete', ''], ['put', '/role', { role: 'manager' }],
        ['post', '/sign-out'], ['post', '/transfer', { manager_id: 2 }]] as Array<['get' | 'put' | 'delete' | 'post', string, object?]>) {
        const res = await as(adminToken)[method](`/api/users/${raw}${path}`).send(body);
        assert.equal(res.status, 400, `${method} ${raw}${path}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.code, 'bad_request');
        assert.match(res.body.fields.id, /positive whole number/);
      }
    }
    assert.equal(JSON.stringify(ctx.db.prepare('SELECT * FROM users ORDER BY id').all()), before);
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action LIKE 'user.%'"), events);
    assert.equal((await as(adminToken).get('/api/users/1000')).status, 200, 'the canonical spelling still works');
  });

  test('the guard answers before the id is read: 401 without a token, 403 for a worker', async () => {
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    const workerToken = (await login(worker.username, worker.password)).access_token;
    assert.equal((await request(ctx.app).get('/api/users/0x1')).status, 401);
    assert.equal((await as(workerToken).get('/api/users/0x1')).status, 403);
  });

  test('acknowledging a flag answers 400 naming the id for a non-canonical id, and no flag changes', async () => {
    const flag = Number(ctx.db.prepare(`INSERT INTO activity_flags (at, user_id, rule, severity, summary, activity_id)
      VALUES ('2026-01-01T00:00:00.000Z', ?, 'critical_action', 'low', 'fixture', 1)`).run(admin.id).lastInsertRowid);
    const acknowledged = () => count(ctx.db, 'SELECT count(*) AS n FROM activity_flags WHERE acknowledged_at IS NOT NULL');
    const before = acknowledged();
    for (const raw of BAD_IDS) {
      const res = await as(adminToken).post(`/api/activity/flags/${raw}/acknowledge`);
      assert.equal(res.status, 400, `${raw}: ${JSON.stringify(res.body)}`);
      assert.deepEqual([res.body.code, Object.keys(res.body.fields)], ['bad_request', ['id']]);
    }
    assert.equal(acknowledged(), before);
    assert.equal((await as(adminToken).post(`/api/activity/flags/${flag}/acknowledge`)).status, 200);
  });
});

describe('the decision and the write see the same roles', () => {
  const actorOf = (u: { id: number; username: string }, role: 'admin' | 'manager', isOwner = false) => ({ id: u.id, username: u.username, role, isOwner, channel: 'api' as const });
  const resetEvents = (id: number) => count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'user.password_reset' AND target_id = ?", id);

  test('a promotion that lands while a reset password is being hashed refuses the reset, and the hash stays', async () => {
    const manager = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: manager.id });
    const before = usersRow(worker.id) as { password_hash: string; credential_version: number };
    // The reset passes its first check synchronously, then awaits argon2; the promotion runs in that gap.
    const reset = ctx.services.users.resetPassword(actorOf(manager, 'manager'), worker.id, 'a reset passphrase 55');
    ctx.services.users.changeRole(actorOf(admin, 'admin', true), worker.id, 'manager');
    await assert.rejects(reset, (err: { status?: number }) => err.status === 404);
    const after = usersRow(worker.id) as { password_hash: string; must_change_password: number; role: string; credential_version: number };
    assert.deepEqual([after.password_hash, after.must_change_password, after.role], [before.password_hash, 0, 'manager']);
    assert.equal(after.credential_version, before.credential_version + 1, 'only the promotion bumped it');
    assert.equal(resetEvents(worker.id), 0);
  });

  test('a manager demoted while its reset password is being hashed is refused, and nothing changes', async () => {
    const manager = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: manager.id });
    const before = usersRow(worker.id);
    const reset = ctx.services.users.resetPassword(actorOf(manager, 'manager'), worker.id, 'a reset passphrase 56');
    ctx.services.users.changeRole(actorOf(admin, 'admin', true), manager.id, 'worker');
    await assert.rejects(reset, (err: { status?: number }) => err.status === 403);
    assert.deepEqual(usersRow(worker.id), before);
    assert.equal(resetEvents(worker.id), 0);
  });

  test('a manager demoted while the new account’s password is being hashed creates nothing', async () => {
    const manager = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
    const users = count(ctx.db, 'SELECT count(*) AS n FROM users');
    const creating = ctx.services.users.create(actorOf(manager, 'manager'), { username: 'raced-new-worker', password: 'a racing passphrase 7', role: 'worker' });
    ctx.services.users.changeRole(actorOf(admin, 'admin', true), manager.id, 'worker');
    await assert.rejects(creating, (err: { status?: number }) => err.status === 403);
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM users'), users);
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'user.create' AND user_id = ?", manager.id), 0);
  });

  test('parallel resets by the creator and a promotion: every reset that landed came before the promotion', async () => {
    const manager = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: manager.id });
    const managerToken = (await login(manager.username, manager.password)).access_token;
    const resets = Array.from({ length: 6 }, (_, i) => as(managerToken).put(`/api/users/${worker.id}`).send({ password: `parallel passphrase ${i}0` }));
    const answers = await Promise.all([...resets, as(adminToken).put(`/api/users/${worker.id}/role`).send({ role: 'manager' })]);
    const promotion = answers.pop()!;
    assert.equal(promotion.status, 200);
    const statuses = answers.map((r) => r.status);
    assert.ok(statuses.every((s) => s === 200 || s === 404), statuses.join());
    assert.equal(resetEvents(worker.id), statuses.filter((s) => s === 200).length);
    const lastReset = ctx.db.prepare("SELECT max(id) FROM activity_log WHERE action = 'user.password_reset' AND target_id = ?").pluck().get(worker.id) as number | null;
    const roleChange = ctx.db.prepare("SELECT id FROM activity_log WHERE action = 'user.role_change' AND target_id = ?").pluck().get(worker.id) as number;
    assert.ok(lastReset === null || lastReset < roleChange, 'no reset was written after the promotion');
    assert.equal((await as(managerToken).put(`/api/users/${worker.id}`).send({ password: 'too late passphrase 1' })).status, 404);
  });
});
