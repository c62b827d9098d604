import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { insertUser } from '../helpers.js';
import { screenshot, signInWithForm, useBrowserSite } from './browser.js';

const site = useBrowserSite();

/** Another origin on the same host (a sibling service, another port): same-site, so Lax cookies go along. */
function attackerPage(action: string, csrf: string): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><title>Win a prize</title><form method="post" action="${action}">
      <input type="hidden" name="_csrf" value="${csrf}"><button>Claim</button></form>`);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () =>
    resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => server.close() })));
}

test('a form on another origin of the same host cannot make a signed-in admin terminate anyone, even holding a valid token', async () => {
  const admin = await insertUser(site.ctx.db, { role: 'admin', isOwner: true });
  const worker = await insertUser(site.ctx.db, { role: 'worker', createdBy: admin.id });
  const page = await site.browser.newPage();
  await signInWithForm(page, site.url, admin);
  await page.goto(`${site.url}/users/${worker.id}/terminate`);
  const csrf = await page.locator('input[name="_csrf"]').first().inputValue();

  const attacker = await attackerPage(`${site.url}/users/${worker.id}/terminate`, csrf);
  try {
    await page.goto(attacker.url);
    await Promise.all([page.waitForURL(`${site.url}/users/${worker.id}/terminate`), page.getByRole('button', { name: 'Claim' }).click()]);
    assert.match(await page.locator('main').innerText(), /came from another site and was refused/);
    await screenshot(page, 'cross-site-refused');
  } finally {
    attacker.close();
  }
  assert.equal(site.ctx.db.prepare('SELECT is_active FROM users WHERE id = ?').pluck().get(worker.id), 1, 'the worker is still active');

  await page.goto(`${site.url}/users/${worker.id}/terminate`);
  await page.getByRole('button', { name: /Terminate/ }).click();
  await page.waitForURL(`${site.url}/users/${worker.id}`);
  assert.equal(site.ctx.db.prepare('SELECT is_active FROM users WHERE id = ?').pluck().get(worker.id), 0, 'the same form from our own page works');
});
