import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { insertUser, makeTestApp, type TestContext } from '../helpers.js';
import { launchBrowser, screenshot, serve, watchForErrors } from './browser.js';

let ctx: TestContext;
let browser: Browser;
let site: { url: string; close: () => Promise<void> };

before(async () => {
  ctx = await makeTestApp();
  site = await serve(ctx);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await site?.close();
  await ctx?.close();
});

test('a manager searches the team’s contacts and filters its messages, with no console error', async () => {
  const manager = await insertUser(ctx.db, { role: 'manager', username: 'team.lead' });
  const worker = await insertUser(ctx.db, { role: 'worker', createdBy: manager.id, username: 'field.worker' });
  const token = (await request(ctx.app).post('/auth/login').send({ username: worker.username, password: worker.password })).body.access_token;
  const auth = { Authorization: `Bearer ${token}` };
  await request(ctx.app).post('/api/contacts/sync').set(auth).send({ source_group: 'Madrid runners', contacts: [
    { phone: '+34 611 000 001', name: 'Lucía Fernández' }, { phone: '+34 611 000 002', name: '<script>alert("x")</script>' }, { phone: '+34 611 000 003', name: 'Pedro' },
  ] });
  await request(ctx.app).post('/api/messages/bulk-log').set(auth).send({ messages: [
    { recipient_phone: '+34611000001', message_content: 'Hola Lucía', status: 'sent' }, { recipient_phone: '+34611000003', message_content: 'Hola Pedro', status: 'failed' },
  ] });

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems = watchForErrors(page);
  await page.goto(site.url + '/login');
  await page.getByLabel('Username').fill(manager.username);
  await page.getByLabel('Password').fill(manager.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(site.url + '/dashboard');
  assert.match(await page.locator('.stats').first().textContent() ?? '', /Contacts\s*3/);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Contacts' }).click();
  assert.equal(await page.locator('tbody tr').count(), 3);
  assert.equal(await page.getByText('<script>alert("x")</script>').count(), 1, 'the name is shown as text');
  await page.getByLabel('Name or phone').fill('lucía');
  await page.getByRole('button', { name: 'Filter' }).click();
  assert.equal(await page.locator('tbody tr').count(), 1);
  assert.match(await page.locator('#result-count').textContent() ?? '', /1 contact match, of 3/);
  await screenshot(page, 'contacts');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Messages' }).click();
  await page.getByLabel('Status').selectOption('failed');
  await page.getByRole('button', { name: 'Filter' }).click();
  assert.equal(await page.locator('tbody tr').count(), 1);
  assert.match(await page.locator('tbody tr').first().textContent() ?? '', /Hola Pedro/);
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download CSV' }).click();
  assert.equal((await download).suggestedFilename(), 'messages.csv');
  await screenshot(page, 'messages');
  assert.deepEqual(problems, []);
});

test('an admin’s dashboard draws its charts and the activity page lists flags, with no console error', async () => {
  const admin = await insertUser(ctx.db, { role: 'admin', isOwner: true, username: 'dash.owner' });
  for (let i = 0; i < 6; i += 1) await request(ctx.app).post('/auth/login').send({ username: 'field.worker', password: 'wrong ' + i });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const problems = watchForErrors(page);
  await page.goto(site.url + '/login');
  await page.getByLabel('Username').fill(admin.username);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(site.url + '/dashboard');
  assert.equal(await page.locator('figure.chart svg[role="img"]').count(), 3);
  const failedBars = page.locator('#logins-title ~ svg rect.bar-hatched, figure:has(#logins-title) rect.bar-hatched');
  assert.ok(await failedBars.count() > 0, 'failed sign-ins are drawn hatched');
  await screenshot(page, 'dashboard-charts');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activity' }).click();
  assert.match(await page.getByRole('heading', { name: /Open flags/ }).textContent() ?? '', /Open flags \(\d+\)/);
  await page.getByRole('button', { name: 'Acknowledge' }).first().click();
  assert.match(await page.getByRole('status').first().textContent() ?? '', /acknowledged/);
  await screenshot(page, 'activity');
  assert.deepEqual(problems, []);
});
