import assert from 'node:assert/strict';
import { test } from 'node:test';
import { insertUser } from '../helpers.js';
import { screenshot, useBrowserSite, watchForErrors } from './browser.js';

const site = useBrowserSite();

test('an admin signs in through the form, reaches the dashboard and signs out, with no console error', async () => {
  const admin = await insertUser(site.ctx.db, { role: 'admin', username: 'browser-admin' });
  const page = await site.browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems = watchForErrors(page);

  await page.goto(site.url + '/');
  assert.equal(new URL(page.url()).pathname, '/login');
  await screenshot(page, 'login');
  await page.getByLabel('Username').fill(admin.username);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.equal(await page.getByRole('alert').textContent(), 'Invalid username or password.');
  assert.equal(await page.getByLabel('Username').inputValue(), admin.username, 'the username is kept');
  // Chromium reports the refused sign-in's own 401 status; it must be the only thing reported.
  assert.deepEqual(problems.splice(0), ['console: Failed to load resource: the server responded with a status of 401 (Unauthorized)']);

  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(site.url + '/dashboard');
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Dashboard');
  assert.equal(await page.locator('nav a[aria-current="page"]').textContent(), 'Dashboard');
  await screenshot(page, 'dashboard');

  await page.getByRole('link', { name: 'Users' }).click();
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Users');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/login\?signed_out=1$/);
  assert.match((await page.getByRole('status').first().textContent()) ?? '', /You have signed out/);
  await page.goto(site.url + '/dashboard');
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a first admin with a generated password must choose a new one before anything else', async () => {
  const admin = await insertUser(site.ctx.db, { role: 'admin', mustChangePassword: true });
  const page = await site.browser.newPage({ viewport: { width: 390, height: 844 } });
  const problems = watchForErrors(page);
  await page.goto(site.url + '/login');
  await page.getByLabel('Username').fill(admin.username);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(site.url + '/account/password');
  await page.getByLabel('Current password').fill(admin.password);
  await page.getByLabel('New password', { exact: true }).fill('short');
  await page.getByLabel('Repeat the new password').fill('short');
  await page.getByRole('button', { name: 'Change password' }).click();
  assert.match((await page.locator('#new_password-error').textContent()) ?? '', /at least 12 characters/);
  assert.deepEqual(problems.splice(0), ['console: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  await screenshot(page, 'password-change-mobile');

  await page.getByLabel('Current password').fill(admin.password);
  await page.getByLabel('New password', { exact: true }).fill('a genuinely new passphrase');
  await page.getByLabel('Repeat the new password').fill('a genuinely new passphrase');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.waitForURL(site.url + '/dashboard');
  assert.match((await page.getByRole('status').first().textContent()) ?? '', /password has been changed/);
  assert.deepEqual(problems, []);
  await page.close();
});
