import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import request from 'supertest';
import { insertUser, makeTestApp, signIn, type TestContext } from './helpers.js';

let ctx: TestContext;
before(async () => {
  ctx = await makeTestApp();
});
after(() => ctx.close());

const stat = (html: string, label: string) => {
  const match = new RegExp(`<dt>${label}</dt><dd>(?:<a [^>]+>)?([\\d,]+)`).exec(html);
  assert.ok(match, `no ${label} on the page`);
  return Number(match[1]!.replace(/,/g, ''));
};

test('a manager’s dashboard counts their team only; an admin’s counts everyone; charts are SVG with a data table', async () => {
  const admin = await insertUser(ctx.db, { role: 'admin', isOwner: true });
  const manager = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
  const mine = await insertUser(ctx.db, { role: 'worker', createdBy: manager.id });
  const other = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
  for (const [user, n] of [[mine, 2], [other, 3]] as const) {
    const token = (await request(ctx.app).post('/auth/login').send({ username: user.username, password: user.password })).body.access_token;
    await request(ctx.app).post('/api/messages/bulk-log').set('Authorization', `Bearer ${token}`)
      .send({ messages: Array.from({ length: n }, (_, i) => ({ recipient_phone: `+34600${String(user.id).padStart(4, '0')}${i}0` })) });
  }
  await request(ctx.app).post('/auth/login').send({ username: other.username, password: 'not it at all' });

  const managerAgent = request.agent(ctx.app);
  await signIn(managerAgent, manager.username, manager.password);
  const team = (await managerAgent.get('/dashboard')).text;
  assert.equal(stat(team, 'Messages today \\(UTC\\)'), 2);
  assert.equal(stat(team, 'Workers'), 1);
  assert.equal(stat(team, 'Failed sign-ins today'), 0);
  assert.match(team, /Numbers cover you and the accounts you manage/);
  assert.doesNotMatch(team, new RegExp(other.username));

  const adminAgent = request.agent(ctx.app);
  await signIn(adminAgent, admin.username, admin.password);
  const all = (await adminAgent.get('/dashboard')).text;
  assert.equal(stat(all, 'Messages today \\(UTC\\)'), 5);
  assert.equal(stat(all, 'Messages, last 7 days'), 5);
  assert.equal(stat(all, 'Failed sign-ins today'), 1);
  assert.equal((all.match(/<svg viewBox/g) ?? []).length, 3);
  assert.match(all, /<svg viewBox="0 0 640 220" role="img" aria-labelledby="logins-title"/);
  assert.match(all, /<caption>Sign-ins per day, last 30 days<\/caption>/);
  assert.match(all, /Failed \(hatched\)/);
  assert.match(all, new RegExp(`${other.username}</a> — 3 messages`));
  assert.doesNotMatch(all, /style=/, 'no inline styles (CSP)');
});

test('finished days are rolled up once and counted from the roll-up; today is counted live', async () => {
  const admin = await insertUser(ctx.db, { role: 'admin' });
  const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
  const agent = request.agent(ctx.app);
  await signIn(agent, admin.username, admin.password);
  const before = (await agent.get('/dashboard')).text;
  const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
  ctx.clock.now -= 2 * 86_400_000;
  try {
    const token = (await request(ctx.app).post('/auth/login').send({ username: worker.username, password: worker.password })).body.access_token;
    await request(ctx.app).post('/api/messages/bulk-log').set('Authorization', `Bearer ${token}`)
      .send({ messages: Array.from({ length: 4 }, (_, i) => ({ recipient_phone: `+3462000000${i}` })) });
  } finally {
    ctx.clock.now += 2 * 86_400_000;
  }
  ctx.db.prepare('DELETE FROM message_rollups WHERE day = ?').run(twoDaysAgo);
  ctx.db.prepare('DELETE FROM message_daily WHERE day = ?').run(twoDaysAgo);
  // A page never writes: until the roll-up job has run, the day is counted row by row.
  const live = (await agent.get('/dashboard')).text;
  assert.equal(ctx.db.prepare('SELECT count(*) FROM message_rollups WHERE day = ?').pluck().get(twoDaysAgo), 0, 'the dashboard wrote nothing');
  assert.equal(stat(live, 'Messages, last 7 days'), stat(before, 'Messages, last 7 days') + 4);
  ctx.services.dashboard.rollUpFinishedDays();
  const after = (await agent.get('/dashboard')).text;
  assert.equal(stat(after, 'Messages, last 7 days'), stat(before, 'Messages, last 7 days') + 4);
  assert.equal(stat(after, 'Messages today \\(UTC\\)'), stat(before, 'Messages today \\(UTC\\)'));
  assert.equal(ctx.db.prepare('SELECT messages FROM message_daily WHERE day = ? AND sender_id = ?').pluck().get(twoDaysAgo, worker.id), 4);
  assert.equal(ctx.db.prepare('SELECT count(*) FROM message_rollups WHERE day = ?').pluck().get(twoDaysAgo), 1);
});
