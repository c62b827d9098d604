import assert from 'node:assert/strict';
import { test } from 'node:test';
import request from 'supertest';
import { insertUser } from '../helpers.js';
import { screenshot, signInWithForm, useBrowserSite, watchForErrors } from './browser.js';

const site = useBrowserSite();

test('a manager searches the team’s contacts and filters its messages, with no console error', async () => {
  const manager = await insertUser(site.ctx.db, { role: 'manager', username: 'team.lead' });
  const worker = await insertUser(site.ctx.db, { role: 'worker', createdBy: manager.id, username: 'field.worker' });
  const token = (await request(site.ctx.app).post('/auth/login').send({ username: worker.username, password: worker.password })).body.access_token;
  const auth = { Authorization: `Bearer ${token}` };
  await request(site.ctx.app).post('/api/contacts/sync').set(auth).send({ source_group: 'Madrid runners', contacts: [
    { phone: '+34 611 000 001', name: 'Lucía Fernández' }, { phone: '+34 611 000 002', name: '<script>alert("x")</script>' }, { phone: '+34 611 000 003', name: 'Pedro' },
  ] });
  await request(site.ctx.app).post('/api/messages/bulk-log').set(auth).send({ messages: [
    { recipient_phone: '+34611000001', message_content: 'Hola Lucía', status: 'sent' }, { recipient_phone: '+34611000003', message_content: 'Hola Pedro', status: 'failed' },
  ] });

  const page = await site.browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems = watchForErrors(page);
  await signInWithForm(page, site.url, manager);
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
  const admin = await insertUser(site.ctx.db, { role: 'admin', isOwner: true, username: 'dash.owner' });
  for (let i = 0; i < 6; i += 1) await request(site.ctx.app).post('/auth/login').send({ username: 'field.worker', password: 'wrong ' + i });
  const page = await site.browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const problems = watchForErrors(page);
  await signInWithForm(page, site.url, admin);
  assert.equal(await page.locator('figure.chart svg[role="img"]').count(), 3);
  const failedBars = page.locator('#logins-title ~ svg rect.bar-hatched, figure:has(#logins-title) rect.bar-hatched');
  assert.ok(await failedBars.count() > 0, 'failed sign-ins are drawn hatched');
  await screenshot(page, 'dashboard-charts');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activity' }).click();
  assert.match(await page.getByRole('heading', { name: /Open flags/ }).textContent() ?? '', /Open flags \(\d+\)/);
  // Flags are triaged on their own page since the bulk acknowledgement.
  await page.getByRole('link', { name: 'Review and acknowledge flags' }).click();
  await page.locator('input[name="flag_ids"]').first().check();
  await page.getByRole('button', { name: 'Acknowledge selected' }).click();
  assert.match(await page.getByRole('status').first().textContent() ?? '', /acknowledged/);
  await screenshot(page, 'activity');
  assert.deepEqual(problems, []);
});
