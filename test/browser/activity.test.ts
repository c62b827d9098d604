import assert from 'node:assert/strict';
import { test } from 'node:test';
import request from 'supertest';
import { csrfFrom, insertUser, signIn } from '../helpers.js';
import { accessibilityViolations, screenshot, signInWithForm, useBrowserSite, watchForErrors } from './browser.js';

const site = useBrowserSite();

test('an admin reads what was done to a worker on its page, opens an event\'s detail, pages back, and finds who terminated it in the log', async () => {
  const admin = await insertUser(site.ctx.db, { role: 'admin', isOwner: true, username: 'ops.chief' });
  const worker = await insertUser(site.ctx.db, { role: 'worker', createdBy: admin.id, username: 'kemi.sender' });
  // The routine before the incident, done through the same forms over HTTP (a browser racing through them aborts its own favicon loads).
  const agent = request.agent(site.ctx.app);
  await signIn(agent, admin.username, admin.password);
  for (let i = 0; i < 14; i += 1) {
    const csrf = csrfFrom((await agent.get('/account')).text);
    assert.equal((await agent.post(`/users/${worker.id}/role`).type('form').send({ _csrf: csrf, role: i % 2 === 0 ? 'manager' : 'worker' })).status, 303);
  }
  const page = await site.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = watchForErrors(page);
  await signInWithForm(page, site.url, admin);
  await page.goto(`${site.url}/users/${worker.id}`);
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await page.waitForURL(`${site.url}/users/${worker.id}`);

  const timeline = page.getByRole('region', { name: /Activity by and about kemi\.sender/ });
  const rows = timeline.locator('tbody tr');
  assert.equal(await rows.count(), 15, '14 role changes and the sign-out');
  assert.match((await rows.first().textContent()) ?? '', /ops\.chief[\s\S]*Signed out everywhere[\s\S]*kemi\.sender/);
  assert.match((await rows.nth(1).textContent()) ?? '', /Role changed[\s\S]*from: manager · to: worker/);
  await screenshot(page, 'user-timeline');
  assert.deepEqual(await accessibilityViolations(page), []);

  // A long detail opens on demand rather than being cut.
  await page.goto(`${site.url}/activity?about=kemi.sender&action=user.role_change`);
  assert.match((await page.locator('#result-count').textContent()) ?? '', /14 events/);
  await screenshot(page, 'activity-filtered');
  assert.deepEqual(await accessibilityViolations(page), []);

  await page.goto(`${site.url}/users/${worker.id}`);
  await page.getByRole('button', { name: 'Terminate…' }).or(page.getByRole('link', { name: 'Terminate…' })).click();
  await page.getByRole('button', { name: 'Terminate kemi.sender' }).click();
  await page.waitForURL(`${site.url}/users/${worker.id}`);
  await page.getByRole('link', { name: 'Everything done to kemi.sender' }).click();
  await page.getByLabel('Action').selectOption('user.terminate');
  await page.getByRole('button', { name: 'Filter' }).click();
  const found = page.locator('.activity-table tbody tr');
  assert.equal(await found.count(), 1);
  assert.match((await found.first().textContent()) ?? '', /UTC[\s\S]*ops\.chief[\s\S]*Account terminated[\s\S]*kemi\.sender/);
  await screenshot(page, 'who-terminated');
  assert.deepEqual(await accessibilityViolations(page), []);
  assert.deepEqual(problems, []);
});

test('a manager reads the team\'s activity, read-only, and pages through it', async () => {
  const admin = await insertUser(site.ctx.db, { role: 'admin' });
  const manager = await insertUser(site.ctx.db, { role: 'manager', createdBy: admin.id, username: 'lead.tunde' });
  const worker = await insertUser(site.ctx.db, { role: 'worker', createdBy: manager.id, username: 'team.member' });
  for (let i = 0; i < 55; i += 1) {
    const res = await fetch(`${site.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: worker.username, password: i % 5 === 0 ? 'a wrong password!' : worker.password }) });
    assert.ok(res.status === 200 || res.status === 401);
  }
  const page = await site.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = watchForErrors(page);
  await signInWithForm(page, site.url, manager);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Team activity' }).click();
  await page.waitForURL(`${site.url}/team/activity`);
  const rows = page.locator('.activity-table tbody tr');
  assert.equal(await rows.count(), 50);
  assert.equal(await page.getByRole('button', { name: 'Acknowledge' }).count(), 0);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.getByRole('link', { name: 'Older →' }).click();
  assert.ok((await rows.count()) >= 6);
  await screenshot(page, 'team-activity');
  assert.deepEqual(await accessibilityViolations(page), []);
  assert.deepEqual(problems, []);
});
