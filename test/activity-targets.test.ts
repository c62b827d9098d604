import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import request from 'supertest';
import { ACTIVITY_ACTIONS, type ActivityAction } from '../src/domain/activity.js';
import { loadConfig } from '../src/config.js';
import { createActivityLog } from '../src/features/activity/activity-log.service.js';
import { count, csrfFrom, insertUser, makeTestApp, signIn, TEST_SESSION_SECRET, type TestContext } from './helpers.js';

type Agent = ReturnType<typeof request.agent>;

async function postForm(agent: Agent, path: string, fields: Record<string, string> = {}) {
  const csrf = csrfFrom((await agent.get('/account')).text);
  return agent.post(path).type('form').send({ _csrf: csrf, ...fields });
}

/** The rows of the log's table on a page, as "action|by|about" (the page's own words). */
function tableRows(html: string): string[] {
  const body = html.split('activity-table')[1]?.split('<tbody>')[1]?.split('</tbody>')[0] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
}

describe('who did what to whom', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await makeTestApp({ TRUST_PROXY: '1' });
  });
  after(() => ctx.close());

  test('a reset, two role changes, a sign-out and a termination of a user show on its page, by whom, from where, with its name at the time', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin', isOwner: true });
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id, username: 'ana.sender' });
    const agent = request.agent(ctx.app);
    await signIn(agent, admin.username, admin.password);
    await request(ctx.app).post('/auth/login').set('X-Forwarded-For', '198.51.100.4').send({ username: worker.username, password: 'a wrong guess here' });
    assert.equal((await postForm(agent, `/users/${worker.id}/password`, { password: 'a brand new passphrase 7', confirm_password: 'a brand new passphrase 7' })).status, 303);
    assert.equal((await postForm(agent, `/users/${worker.id}/role`, { role: 'manager' })).status, 303);
    assert.equal((await postForm(agent, `/users/${worker.id}/role`, { role: 'worker' })).status, 303);
    assert.equal((await postForm(agent, `/users/${worker.id}`, { username: 'ana.renamed' })).status, 303);
    assert.equal((await postForm(agent, `/users/${worker.id}/sign-out`)).status, 303);
    assert.equal((await postForm(agent, `/users/${worker.id}/terminate`)).status, 303);

    const page = await agent.get(`/users/${worker.id}`).expect(200);
    const rows = tableRows(page.text);
    const about = rows.filter((r) => r.includes(admin.username));
    for (const label of ['Account terminated', 'Signed out everywhere', 'Account renamed', 'Role changed', 'Password reset']) {
      assert.ok(about.some((r) => r.includes(label)), `${label} by ${admin.username} is on the page:\n${rows.join('\n')}`);
    }
    assert.equal(rows.filter((r) => r.includes('Role changed')).length, 2);
    // The rows before the rename name the account as it was called then; the detail reads as words, not JSON.
    assert.ok(rows.find((r) => r.includes('Password reset'))!.includes('ana.sender'));
    assert.ok(rows.find((r) => r.includes('Account terminated'))!.includes('ana.renamed'));
    assert.match(rows.find((r) => r.includes('Role changed'))!, /from: manager · to: worker|from: worker · to: manager/);
    assert.ok(rows.some((r) => r.includes('Sign-in') && r.includes('failure') && r.includes('198.51.100.4')), 'the failed sign-in against it is there too');
    assert.doesNotMatch(page.text, /\{&#34;|\{"target/, 'no raw JSON');

    // "Who terminated X, when, from where?" from the log's filters, by the name typed.
    const log = await agent.get('/activity?about=ana.renamed&action=user.terminate').expect(200);
    const [terminated] = tableRows(log.text);
    assert.ok(terminated?.includes(admin.username) && terminated.includes('Account terminated'), terminated);
    assert.match(log.text, /1 event</);
  });

  test('the timeline pages newest first, 25 at a time, each row once', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    const agent = request.agent(ctx.app);
    await signIn(agent, admin.username, admin.password);
    for (let i = 0; i < 30; i += 1) assert.equal((await postForm(agent, `/users/${worker.id}/sign-out`)).status, 303);
    const first = await agent.get(`/users/${worker.id}`).expect(200);
    assert.equal(tableRows(first.text).length, 25);
    const older = /href="(\/users\/\d+\?before=\d+#activity-heading)" rel="next"/.exec(first.text)?.[1];
    assert.ok(older, 'an Older link');
    const second = await agent.get(older.replace('#activity-heading', '')).expect(200);
    assert.equal(tableRows(second.text).length, 5);
    assert.match(second.text, new RegExp(`href="/users/${worker.id}#activity-heading">← Newest`));
    assert.doesNotMatch(second.text, /rel="next"/);
  });

  test('every row names its target: an account with its name, a flag, a contact group, a route', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    const login = await request(ctx.app).post('/auth/login').send({ username: worker.username, password: worker.password }).expect(200);
    const token = login.body.access_token as string;
    await request(ctx.app).post('/auth/refresh').set('Authorization', `Bearer ${login.body.refresh_token}`).expect(200);
    await request(ctx.app).post('/api/contacts/sync').set('Authorization', `Bearer ${token}`)
      .send({ contacts: [{ phone: '+34600111222', name: 'Ana' }], source_group: 'Lagos team' }).expect(200);
    await request(ctx.app).get('/api/users').set('Authorization', `Bearer ${token}`).expect(403);
    await request(ctx.app).post('/auth/login').send({ username: 'nobody-by-this-name', password: 'whatever it is 1' }).expect(401);
    const agent = request.agent(ctx.app);
    await signIn(agent, admin.username, admin.password);
    await agent.post('/users').type('form').send({ username: 'no-csrf' }).expect(403);

    const rows = ctx.db.prepare('SELECT action, username, target_type, target_id, detail FROM activity_log').all() as
      Array<{ action: string; username: string | null; target_type: string | null; target_id: string | null; detail: string | null }>;
    const untargeted = rows.filter((r) => r.target_type === null);
    // Only a sign-in under a name that is no account has none: the name typed might be a password.
    assert.deepEqual(untargeted.map((r) => [r.action, r.username]), [['login', null]]);
    for (const r of rows.filter((x) => x.target_type === 'user')) {
      assert.equal(typeof (JSON.parse(r.detail ?? '{}') as { target_username?: unknown }).target_username, 'string', `${r.action} names its account`);
    }
    const sync = rows.find((r) => r.action === 'contacts.sync')!;
    assert.deepEqual([sync.target_type, JSON.parse(sync.detail!).target_name], ['contacts', 'Lagos team']);
    assert.ok(rows.some((r) => r.action === 'access.denied' && r.target_type === 'route' && r.target_id === '/api/users'));
    assert.ok(rows.some((r) => r.action === 'csrf.failed' && r.target_type === 'route'));
  });

  test('the log filters by a typed username, about-user, action, outcome, IP and UTC time, and the CSV export applies every filter', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin', username: 'filter.admin' });
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id, username: 'filter.worker' });
    for (const ip of ['203.0.113.21', '203.0.113.22', '203.0.113.22']) {
      await request(ctx.app).post('/auth/login').set('X-Forwarded-For', ip).send({ username: worker.username, password: 'not the password 9' });
    }
    await request(ctx.app).post('/auth/login').set('X-Forwarded-For', '203.0.113.22').send({ username: worker.username, password: worker.password }).expect(200);
    const agent = request.agent(ctx.app);
    await signIn(agent, admin.username, admin.password);

    const filter = 'user=FILTER.WORKER&action=login&outcome=failure&ip=203.0.113.22';
    const page = await agent.get(`/activity?${filter}`).expect(200);
    assert.equal(tableRows(page.text).length, 2, 'the name in any case, the action, the outcome and the IP all apply');
    assert.match(page.text, /href="\/activity\.csv\?user=FILTER\.WORKER&amp;action=login&amp;outcome=failure&amp;ip=203\.0\.113\.22"/);
    const csv = await agent.get(`/activity.csv?${filter}`).expect(200);
    const lines = csv.text.trim().split('\n');
    assert.equal(lines.length, 3, csv.text);
    assert.ok(lines.slice(1).every((l) => l.includes(',login,') && l.includes('203.0.113.22') && l.includes(',failure,')));

    // "About" is what others did to the account; its own sign-ins are "by" it.
    assert.equal(tableRows((await agent.get('/activity?about=filter.worker&action=login')).text).length, 0);
    assert.equal((await postForm(agent, `/users/${worker.id}/sign-out`)).status, 303);
    const about = await agent.get('/activity?about=filter.worker').expect(200);
    assert.equal(tableRows(about.text).length, 1);
    // A time without a zone is UTC: a window that ends before the sign-ins holds none of them.
    const firstAt = ctx.db.prepare("SELECT min(at) FROM activity_log WHERE username = 'filter.worker'").pluck().get() as string;
    const minuteBefore = new Date(Date.parse(firstAt) - 60_000).toISOString().slice(0, 16);
    assert.equal(tableRows((await agent.get(`/activity?user=filter.worker&to=${minuteBefore}`)).text).length, 0);
    assert.equal(tableRows((await agent.get(`/activity?user=filter.worker&from=${minuteBefore}`)).text).length, 4);

    // Bad filters say what is wrong; an export with one is refused rather than exporting everything.
    for (const [query, message] of [['action=drop.table', /action must be one of the actions/], ['ip=999.1.1.1', /ip must be an IP address/],
      ['from=yesterday', /from must be a date/]] as const) {
      const res = await agent.get(`/activity?${query}`).expect(200);
      assert.match(res.text, message);
      const exported = await agent.get(`/activity.csv?${query}`);
      assert.equal(exported.status, 400);
    }
    const unknown = await agent.get('/activity?about=no.such.account').expect(200);
    assert.match(unknown.text, /No account is called “no\.such\.account”/);
    assert.equal(tableRows(unknown.text).length, 0);
    // The action filter offers the known actions, not free text.
    assert.match(page.text, /<select id="action" name="action">/);
    for (const label of Object.values(ACTIVITY_ACTIONS)) assert.ok(page.text.includes(`>${label}</option>`), label);
  });

  test('the API takes the same filters', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    await request(ctx.app).post('/auth/login').send({ username: worker.username, password: worker.password }).expect(200);
    const token = (await request(ctx.app).post('/auth/login').set('X-Forwarded-For', '192.0.2.77')
      .send({ username: admin.username, password: admin.password })).body.access_token as string;
    await request(ctx.app).post(`/api/users/${worker.id}/sign-out`).set('X-Forwarded-For', '192.0.2.77').set('Authorization', `Bearer ${token}`).expect(200);
    const res = await request(ctx.app).get(`/api/activity?about=${worker.username}&ip=192.0.2.77`).set('Authorization', `Bearer ${token}`).expect(200);
    assert.equal(res.body.total, 1);
    assert.equal(res.body.events[0].target_id, String(worker.id));
    const bad = await request(ctx.app).get('/api/activity?action=nope').set('Authorization', `Bearer ${token}`).expect(400);
    assert.equal(bad.body.fields ? Object.keys(bad.body.fields)[0] : bad.body.field ?? 'action', 'action');
  });
});

describe('a manager\'s team view', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await makeTestApp({ TRUST_PROXY: '1' });
  });
  after(() => ctx.close());

  test('shows what the team did and what was done to it, nothing else; the full log and the flags stay the admins\'', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin', username: 'boss.admin' });
    const manager = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id, username: 'team.lead' });
    const other = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id, username: 'other.lead' });
    const mine = await insertUser(ctx.db, { role: 'worker', createdBy: manager.id, username: 'my.worker' });
    const theirs = await insertUser(ctx.db, { role: 'worker', createdBy: other.id, username: 'their.worker' });
    await request(ctx.app).post('/auth/login').send({ username: mine.username, password: mine.password }).expect(200);
    await request(ctx.app).post('/auth/login').send({ username: theirs.username, password: theirs.password }).expect(200);
    const adminAgent = request.agent(ctx.app);
    await signIn(adminAgent, admin.username, admin.password);
    assert.equal((await postForm(adminAgent, `/users/${mine.id}/sign-out`)).status, 303);
    assert.equal((await postForm(adminAgent, `/users/${theirs.id}/sign-out`)).status, 303);

    const agent = request.agent(ctx.app);
    await signIn(agent, manager.username, manager.password);
    const page = await agent.get('/team/activity').expect(200);
    const rows = tableRows(page.text);
    assert.ok(rows.some((r) => r.includes('Sign-in') && r.includes('my.worker')));
    assert.ok(rows.some((r) => r.includes('Signed out everywhere') && r.includes('boss.admin') && r.includes('my.worker')), 'done to the team by an admin');
    assert.ok(!rows.some((r) => r.includes('their.worker') || r.includes('other.lead')), rows.join('\n'));
    assert.ok(!rows.some((r) => r.includes('boss.admin') && r.includes('Sign-in')), 'the admin\'s own sign-in is not the team\'s');
    // Filters narrow within the team, never beyond it.
    assert.equal(tableRows((await agent.get('/team/activity?user=their.worker')).text).length, 0);
    assert.equal(tableRows((await agent.get('/team/activity?about=their.worker')).text).length, 0);
    assert.equal(tableRows((await agent.get('/team/activity?user=boss.admin')).text).length, 1, 'the admin\'s act on my worker');
    assert.doesNotMatch(page.text, /Acknowledge|Download CSV/);
    assert.match((await agent.get(`/users/${mine.id}`).expect(200)).text, /Activity by and about my\.worker/);
    await agent.get(`/users/${theirs.id}`).expect(404);
    await agent.get('/activity').expect(403);
    await agent.get('/activity.csv').expect(403);
    const managerToken = (await request(ctx.app).post('/auth/login').send({ username: manager.username, password: manager.password })).body.access_token as string;
    await request(ctx.app).get('/api/activity').set('Authorization', `Bearer ${managerToken}`).expect(403);
    const workerToken = (await request(ctx.app).post('/auth/login').send({ username: mine.username, password: mine.password })).body.access_token as string;
    await request(ctx.app).get('/api/activity').set('Authorization', `Bearer ${workerToken}`).expect(403);
    const workerAgent = request.agent(ctx.app);
    await signIn(workerAgent, mine.username, mine.password);
    const refused = await workerAgent.get('/team/activity');
    assert.ok(refused.status === 303 || refused.status === 403, String(refused.status));
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'access.denied' AND username = ?", manager.username), 3);
  });
});

describe('by-or-about pages against a model', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await makeTestApp({ TRUST_PROXY: '1' });
  });
  after(() => ctx.close());

  test('paging a filtered listing newest first yields exactly the rows a plain filter over all of them does, once each', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 4; i += 1) ids.push((await insertUser(ctx.db, { role: 'worker' })).id);
    const actions: ActivityAction[] = ['login', 'user.terminate', 'user.role_change', 'logout'];
    const settings = loadConfig({ NODE_ENV: 'test', DATA_DIR: ctx.dir, SESSION_SECRET: TEST_SESSION_SECRET }).activity;
    const log = createActivityLog({ db: ctx.db, settings, clock: () => ctx.clock.now });
    const event = fc.record({
      by: fc.option(fc.constantFrom(...ids), { nil: null }), about: fc.option(fc.constantFrom(...ids), { nil: null }),
      action: fc.constantFrom(...actions), ip: fc.constantFrom('192.0.2.1', '192.0.2.2'),
    });
    const filter = fc.record({
      involving: fc.option(fc.uniqueArray(fc.constantFrom(...ids), { minLength: 0, maxLength: 3 }), { nil: undefined }),
      by: fc.option(fc.uniqueArray(fc.constantFrom(...ids), { maxLength: 2 }), { nil: undefined }),
      about: fc.option(fc.uniqueArray(fc.constantFrom(...ids), { maxLength: 2 }), { nil: undefined }),
      action: fc.option(fc.constantFrom(...actions), { nil: undefined }),
      ip: fc.option(fc.constantFrom('192.0.2.1', '192.0.2.2'), { nil: undefined }),
    });
    fc.assert(fc.property(fc.array(event, { minLength: 0, maxLength: 40 }), filter, fc.integer({ min: 1, max: 7 }), (events, f, size) => {
      ctx.db.exec('DELETE FROM activity_flags');
      const firstId = (ctx.db.prepare('SELECT coalesce(max(id), 0) FROM activity_log').pluck().get() as number) + 1;
      for (const e of events) {
        log.append({ action: e.action, outcome: 'success', userId: e.by, username: e.by ? `u${e.by}` : 'operator', ip: e.ip,
          ...(e.about ? { targetType: 'user', targetId: e.about, targetName: `u${e.about}` } : {}) });
      }
      const written = events.map((e, i) => ({ ...e, id: firstId + i })).reverse();
      const inList = (list: number[] | undefined, v: number | null) => list === undefined || (v !== null && list.includes(v));
      // Done to an account means by someone else: its own acts are "by" it.
      const doneTo = (list: number[] | undefined, e: { by: number | null; about: number | null }) =>
        list === undefined || (e.about !== e.by && inList(list, e.about));
      const expected = written.filter((e) => inList(f.by, e.by) && doneTo(f.about, e) && (!f.action || e.action === f.action)
        && (!f.ip || e.ip === f.ip) && (f.involving === undefined || inList(f.involving, e.by) || doneTo(f.involving, e))).map((e) => e.id);
      const seen: number[] = [];
      let before: number | undefined;
      const scoped = { ...f, ...(f.involving ? {} : { involving: undefined }) };
      for (let guard = 0; guard < 100; guard += 1) {
        const page = ctx.services.activity.page({ ...scoped, from: undefined }, size, before);
        seen.push(...page.events.map((e) => e.id).filter((id) => id >= firstId));
        if (page.nextBefore === null || page.events.every((e) => e.id < firstId)) break;
        before = page.nextBefore;
      }
      const fresh = seen.filter((id) => id >= firstId);
      assert.deepEqual(fresh, expected);
    }), { numRuns: 60 });
  });
});
