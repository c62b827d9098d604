import assert from 'node:assert/strict';
import { test } from 'node:test';
import { insertUser } from '../helpers.js';
import { accessibilityViolations, screenshot, signInWithForm, useBrowserSite, watchForErrors } from './browser.js';

const site = useBrowserSite();

test('an admin creates a worker, finds it with the search, terminates it after confirming, and sees the status change', async () => {
  const admin = await insertUser(site.ctx.db, { role: 'admin', isOwner: true, username: 'chief' });
  for (let i = 0; i < 3; i += 1) await insertUser(site.ctx.db, { role: 'worker', createdBy: admin.id, username: `noise${i}` });
  const page = await site.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = watchForErrors(page);
  await signInWithForm(page, site.url, admin);

  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('link', { name: 'New user' }).click();
  await page.getByLabel('Username').fill('sender.ana');
  await page.getByLabel('Role').selectOption('worker');
  await page.getByLabel('Password', { exact: true }).fill('ana sends 1000 messages');
  await page.getByLabel('Repeat the password').fill('ana sends 1000 messages');
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.waitForURL(/\/users\/\d+$/);
  assert.match((await page.getByRole('status').first().textContent()) ?? '', /User sender\.ana was created/);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'sender.ana');
  await screenshot(page, 'user-page');
  assert.deepEqual(await accessibilityViolations(page), []);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
  await page.getByLabel('Search username').fill('ana');
  await page.getByRole('button', { name: 'Filter' }).click();
  const rows = page.locator('tbody tr');
  assert.equal(await rows.count(), 1);
  assert.match((await rows.first().textContent()) ?? '', /sender\.ana[\s\S]*Active/);
  await screenshot(page, 'users-search');

  await rows.first().getByRole('link', { name: 'Terminate' }).click();
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Terminate sender.ana?');
  await screenshot(page, 'terminate-confirm');
  await page.getByRole('button', { name: 'Terminate sender.ana' }).click();
  await page.waitForURL(/\/users\/\d+$/);
  assert.match((await page.getByRole('status').first().textContent()) ?? '', /terminated/);

  await page.goto(site.url + '/users?search=ana');
  assert.match((await page.locator('tbody tr').first().textContent()) ?? '', /Terminated/);
  const status = site.ctx.db.prepare("SELECT is_active FROM users WHERE username = 'sender.ana'").pluck().get();
  assert.equal(status, 0);
  await screenshot(page, 'users-terminated');
  assert.deepEqual(await accessibilityViolations(page), []);
  // The check itself can fail: an unlabelled field is a violation.
  await page.evaluate("document.querySelector('main').append(document.createElement('input'))");
  assert.match((await accessibilityViolations(page)).join('\n'), /label/);
  assert.deepEqual(problems, []);
});
