import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { count, csrfFrom, insertUser, makeTestApp, signIn, type TestContext } from './helpers.js';

let ctx: TestContext;
let admin: { id: number; username: string; password: string };
let adminAgent: ReturnType<typeof request.agent>;

async function agentFor(user: { username: string; password: string }) {
  const agent = request.agent(ctx.app);
  const res = await signIn(agent, user.username, user.password);
  assert.equal(res.status, 303);
  return agent;
}

async function tokenOn(agent: ReturnType<typeof request.agent>, url: string): Promise<string> {
  return csrfFrom((await agent.get(url)).text);
}

const userRow = (id: number) => ctx.db.prepare('SELECT * FROM users WHERE id = ?').get(id);

before(async () => {
  ctx = await makeTestApp({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000' });
  admin = await insertUser(ctx.db, { role: 'admin', isOwner: true });
  adminAgent = await agentFor(admin);
});
after(() => ctx.close());

describe('users list page', () => {
  test('shows the columns, filters by search, role and status, and paginates on the server', async () => {
    for (let i = 0; i < 27; i += 1) await insertUser(ctx.db, { username: `pagey${String(i).padStart(2, '0')}`, role: 'worker', createdBy: admin.id });
    const first = await adminAgent.get('/users?search=pagey');
    assert.equal(first.status, 200);
    for (const heading of ['Username', 'Role', 'Status', 'Created by', 'Created', 'Last login']) assert.match(first.text, new RegExp(`<th scope="col">${heading}</th>`));
    assert.match(first.text, /27 accounts/);
    assert.match(first.text, /Page 1 of 2/);
    assert.match(first.text, /href="\/users\?search=pagey&amp;page=2"/);
    const second = await adminAgent.get('/users?search=pagey&page=2');
    assert.equal((second.text.match(/href="\/users\/\d+">pagey/g) ?? []).length, 2);
    const managers = await adminAgent.get('/users?search=pagey&role=manager');
    assert.match(managers.text, /0 accounts/);
    const terminated = await adminAgent.get('/users?status=terminated&search=pagey');
    assert.match(terminated.text, /No accounts match/);
  });

  test('a manager sees only the accounts they created, and no actions they may not take', async () => {
    const manager = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
    const mine = await insertUser(ctx.db, { role: 'worker', createdBy: manager.id });
    const other = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    const agent = await agentFor(manager);
    const list = await agent.get('/users');
    assert.match(list.text, new RegExp(`>${mine.username}<`));
    assert.doesNotMatch(list.text, new RegExp(`>${other.username}<`));
    const page = await agent.get(`/users/${mine.id}`);
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.text, /Change role/);
    assert.match(page.text, /Reset password/);
    assert.equal((await agent.get(`/users/${other.id}`)).status, 404);
    const form = await agent.get('/users/new');
    assert.doesNotMatch(form.text, /<option value="manager"/);
  });

  test('a manager cannot terminate an account outside their scope, and nothing changes', async () => {
    const manager = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
    const other = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    const agent = await agentFor(manager);
    const token = await tokenOn(agent, '/users');
    const before = userRow(other.id);
    const res = await agent.post(`/users/${other.id}/terminate`).type('form').send({ _csrf: token });
    assert.equal(res.status, 404);
    assert.deepEqual(userRow(other.id), before);
  });
});

describe('creating a user through the form', () => {
  test('invalid input re-renders the form with the values kept and a message per field', async () => {
    const token = await tokenOn(adminAgent, '/users/new');
    const before = count(ctx.db, 'SELECT count(*) AS n FROM users');
    const res = await adminAgent.post('/users').type('form')
      .send({ _csrf: token, username: 'formuser1', role: 'manager', password: 'short', confirm_password: 'short' });
    assert.equal(res.status, 400);
    assert.match(res.text, /value="formuser1"/);
    assert.match(res.text, /<option value="manager" selected>/);
    assert.match(res.text, /id="password-error">Password must be at least 12 characters/);
    const mismatch = await adminAgent.post('/users').type('form')
      .send({ _csrf: token, username: 'formuser1', role: 'worker', password: 'a good passphrase 1', confirm_password: 'other' });
    assert.equal(mismatch.status, 400);
    assert.match(mismatch.text, /do not match/);
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM users'), before);
  });

  test('a valid form creates the user and redirects to its page with a message', async () => {
    const token = await tokenOn(adminAgent, '/users/new');
    const res = await adminAgent.post('/users').type('form')
      .send({ _csrf: token, username: 'formuser2', role: 'worker', password: 'a good passphrase 2', confirm_password: 'a good passphrase 2' });
    assert.equal(res.status, 303);
    const created = ctx.db.prepare("SELECT id, role, created_by FROM users WHERE username = 'formuser2'").get() as { id: number; role: string; created_by: number };
    assert.equal(res.headers.location, `/users/${created.id}`);
    assert.deepEqual([created.role, created.created_by], ['worker', admin.id]);
    const page = await adminAgent.get(res.headers.location);
    assert.match(page.text, /User formuser2 was created/);
  });

  test('a form post without a CSRF token is refused and creates nothing', async () => {
    const before = count(ctx.db, 'SELECT count(*) AS n FROM users');
    const res = await adminAgent.post('/users').type('form').send({ username: 'csrfless1', role: 'worker', password: 'a good passphrase 3', confirm_password: 'a good passphrase 3' });
    assert.equal(res.status, 403);
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM users'), before);
  });
});

describe('acting on a user from its page', () => {
  test('terminate goes through a confirmation page, then the status changes and sessions end', async () => {
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    const tokens = (await request(ctx.app).post('/auth/login').send({ username: worker.username, password: worker.password })).body;
    const confirm = await adminAgent.get(`/users/${worker.id}/terminate`);
    assert.equal(confirm.status, 200);
    assert.match(confirm.text, new RegExp(`Terminate ${worker.username}\\?`));
    const res = await adminAgent.post(`/users/${worker.id}/terminate`).type('form').send({ _csrf: csrfFrom(confirm.text) });
    assert.equal(res.status, 303);
    const page = await adminAgent.get(`/users/${worker.id}`);
    assert.match(page.text, /The account was terminated/);
    assert.match(page.text, /status-terminated/);
    assert.match(page.text, /Reactivate/);
    assert.equal((await request(ctx.app).post('/auth/validate').set('Authorization', `Bearer ${tokens.access_token}`)).status, 401);
  });

  test('reset password, role change and sign out everywhere work from the page', async () => {
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    const token = await tokenOn(adminAgent, `/users/${worker.id}`);
    const weak = await adminAgent.post(`/users/${worker.id}/password`).type('form').send({ _csrf: token, password: 'weak', confirm_password: 'weak' });
    assert.equal(weak.status, 400);
    assert.match(weak.text, /id="password-error">Password must be at least 12/);
    const reset = await adminAgent.post(`/users/${worker.id}/password`).type('form').send({ _csrf: token, password: 'reset passphrase 42', confirm_password: 'reset passphrase 42' });
    assert.equal(reset.status, 303);
    assert.equal((userRow(worker.id) as { must_change_password: number }).must_change_password, 1);
    const role = await adminAgent.post(`/users/${worker.id}/role`).type('form').send({ _csrf: token, role: 'manager' });
    assert.equal(role.status, 303);
    assert.equal((userRow(worker.id) as { role: string }).role, 'manager');
    const version = (userRow(worker.id) as { credential_version: number }).credential_version;
    const out = await adminAgent.post(`/users/${worker.id}/sign-out`).type('form').send({ _csrf: token });
    assert.equal(out.status, 303);
    assert.equal((userRow(worker.id) as { credential_version: number }).credential_version, version + 1);
  });

  test('an admin cannot act on the owner, and the page offers nothing to do', async () => {
    const other = await insertUser(ctx.db, { role: 'admin' });
    const agent = await agentFor(other);
    const page = await agent.get(`/users/${admin.id}`);
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.text, /Terminate|Reset password|Sign out everywhere/);
    const token = await tokenOn(agent, '/users');
    const before = userRow(admin.id);
    assert.equal((await agent.post(`/users/${admin.id}/terminate`).type('form').send({ _csrf: token })).status, 403);
    assert.equal((await agent.get(`/users/${admin.id}/terminate`)).status, 403);
    assert.deepEqual(userRow(admin.id), before);
  });

  test('the account page lets any panel user change their own password', async () => {
    const page = await adminAgent.get('/account');
    assert.equal(page.status, 200);
    assert.match(page.text, /<label for="current_password">/);
  });
});

describe('a promoted account leaves its creator’s pages', () => {
  test('the manager’s list and user page drop an account once promoted, and show it again once demoted', async () => {
    const manager = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
    const peer = await insertUser(ctx.db, { role: 'worker', createdBy: manager.id });
    const agent = await agentFor(manager);
    const token = await tokenOn(adminAgent, `/users/${peer.id}`);
    const listed = async () => new RegExp(`>${peer.username}<`).test((await agent.get('/users')).text);
    assert.equal(await listed(), true);
    assert.equal((await adminAgent.post(`/users/${peer.id}/role`).type('form').send({ _csrf: token, role: 'manager' })).status, 303);
    assert.equal(await listed(), false);
    assert.equal((await agent.get(`/users/${peer.id}`)).status, 404);
    assert.equal((await agent.get(`/users/${peer.id}/terminate`)).status, 404);
    assert.equal((await adminAgent.post(`/users/${peer.id}/role`).type('form').send({ _csrf: token, role: 'worker' })).status, 303);
    assert.equal(await listed(), true);
    assert.match((await agent.get(`/users/${peer.id}`)).text, /Reset password/);
  });
});

describe('path ids and refusals on the panel', () => {
  const BAD_IDS = ['1e0', '0x1', '01', '-1', '1.0', '%201', '%', '%D9%A1', '0', '99999999999999999999'];

  test('a non-canonical id answers the 400 error page on every users route, and nothing changes', async () => {
    const token = await tokenOn(adminAgent, '/users');
    const before = JSON.stringify(ctx.db.prepare('SELECT * FROM users ORDER BY id').all());
    for (const raw of BAD_IDS) {
      for (const res of [await adminAgent.get(`/users/${raw}`), await adminAgent.get(`/users/${raw}/terminate`),
        await adminAgent.post(`/users/${raw}/terminate`).type('form').send({ _csrf: token }),
        await adminAgent.post(`/users/${raw}/password`).type('form').send({ _csrf: token, password: 'panel passphrase 12', confirm_password: 'panel passphrase 12' })]) {
        assert.equal(res.status, 400, `${raw}: ${res.text.slice(0, 200)}`);
        assert.match(res.text, /<h1>Bad request<\/h1>/);
        assert.match(res.text, /id must be a positive whole number/);
        assert.doesNotMatch(res.text, /at .*\.ts:\d+/, 'no stack');
      }
    }
    assert.equal(JSON.stringify(ctx.db.prepare('SELECT * FROM users ORDER BY id').all()), before);
  });

  test('acknowledging a flag with a non-canonical id answers 400 and acknowledges nothing', async () => {
    const token = await tokenOn(adminAgent, '/activity');
    const acknowledged = () => count(ctx.db, 'SELECT count(*) AS n FROM activity_flags WHERE acknowledged_at IS NOT NULL');
    const before = acknowledged();
    for (const raw of BAD_IDS) {
      const res = await adminAgent.post(`/activity/flags/${raw}/acknowledge`).type('form').send({ _csrf: token });
      assert.equal(res.status, 400, raw);
      assert.match(res.text, /id must be a positive whole number/);
    }
    assert.equal(acknowledged(), before);
  });

  test('terminating yourself re-renders your page with 400 and a message, and you stay active', async () => {
    const token = await tokenOn(adminAgent, `/users/${admin.id}`);
    const res = await adminAgent.post(`/users/${admin.id}/terminate`).type('form').send({ _csrf: token });
    assert.equal(res.status, 400);
    assert.match(res.text, /role="alert">Cannot delete your own account/);
    assert.equal((userRow(admin.id) as { is_active: number }).is_active, 1);
  });
});
