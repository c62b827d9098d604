import assert from 'node:assert/strict';
import { test } from 'node:test';
import request from 'supertest';
import { csrfFrom, insertUser, signIn } from '../helpers.js';
import { accessibilityViolations, screenshot, signInWithForm, useBrowserSite, watchForErrors } from './browser.js';

const site = useBrowserSite();

test('an admin checks the day\'s routine flags, acknowledges them in one action with a note, and sees who, when and the note', async () => {
  const admin = await insertUser(site.ctx.db, { role: 'admin', isOwner: true, username: 'triage.chief' });
  const mover = await insertUser(site.ctx.db, { role: 'worker', createdBy: admin.id, username: 'moved.around' });
  const target = await insertUser(site.ctx.db, { role: 'worker', createdBy: admin.id, username: 'guessed.at' });
  // Routine work through the real forms: three role changes, each flagged critical_action.
  const agent = request.agent(site.ctx.app);
  await signIn(agent, admin.username, admin.password);
  for (const role of ['manager', 'worker', 'manager']) {
    const csrf = csrfFrom((await agent.get('/account')).text);
    assert.equal((await agent.post(`/users/${mover.id}/role`).type('form').send({ _csrf: csrf, role })).status, 303);
  }
  // And one that is not routine: five wrong passwords for one account.
  for (let i = 0; i < 5; i += 1) await request(site.ctx.app).post('/auth/login').send({ username: target.username, password: `guess ${i}` });

  const page = await site.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = watchForErrors(page);
  await signInWithForm(page, site.url, admin);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activity' }).click();
  assert.match(await page.getByRole('heading', { name: /Open flags/ }).textContent() ?? '', /Open flags \(4\)/);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.getByRole('link', { name: 'Review and acknowledge flags' }).click();
  await page.waitForURL(`${site.url}/activity/flags`);
  assert.deepEqual(await accessibilityViolations(page), []);
  await screenshot(page, 'flags-open');

  await page.getByLabel('Rule').selectOption('critical_action');
  await page.getByRole('button', { name: 'Filter' }).click();
  const boxes = page.getByRole('checkbox', { name: /Choose flag \d+: triage\.chief: user\.role_change/ });
  assert.equal(await boxes.count(), 3);
  for (let i = 0; i < 3; i += 1) await boxes.nth(i).check();
  await page.getByLabel('Note (optional)').fill('Planned team reshuffle, agreed with HR');
  await page.getByRole('button', { name: 'Acknowledge selected' }).click();
  await page.waitForURL(`${site.url}/activity/flags?rule=critical_action&state=open`);
  assert.match(await page.getByRole('status').first().textContent() ?? '', /3 flags were acknowledged\./);
  assert.match(await page.locator('#result-count').textContent() ?? '', /^0 flags$/);

  await page.getByLabel('Rule').selectOption('');
  await page.getByLabel('State').selectOption('all');
  await page.getByRole('button', { name: 'Filter' }).click();
  const rows = page.locator('.flags-table tbody tr');
  assert.equal(await rows.count(), 4);
  for (let i = 0; i < 4; i += 1) {
    const text = (await rows.nth(i).textContent()) ?? '';
    if (/role_change/.test(text)) assert.match(text, /Acknowledged by triage\.chief, \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\s*Planned team reshuffle, agreed with HR/);
    else assert.match(text, /5 failed sign-ins for guessed\.at[\s\S]*Open/);
  }
  const burst = rows.filter({ hasText: 'guessed.at' });
  await burst.getByText('5 events').click();
  assert.equal(await burst.locator('.flag-events li').count(), 5);
  assert.deepEqual(await accessibilityViolations(page), []);
  await screenshot(page, 'flags-acknowledged');

  // Acknowledging with nothing checked says so beside the list, and acknowledges nothing.
  await page.getByLabel('State').selectOption('open');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByRole('button', { name: 'Acknowledge selected' }).click();
  assert.match(await page.locator('.field-error').first().textContent() ?? '', /Choose at least one flag to acknowledge/);
  assert.deepEqual(problems.splice(0), ['console: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  assert.deepEqual(await accessibilityViolations(page), []);
  await screenshot(page, 'flags-refused');

  await page.getByRole('link', { name: 'guessed.at' }).click();
  await page.waitForURL(`${site.url}/users/${target.id}`);
  assert.match(await page.locator('.risk-explained').textContent() ?? '', /Risk score \(open flags, last 7 days\): 3\s*= 1 medium × 3/);
  await page.getByText('The open flag behind it').click();
  assert.match(await page.locator('.risk-parts tbody tr').first().textContent() ?? '', /\+3\s*medium\s*failed_login_burst/);
  assert.deepEqual(await accessibilityViolations(page), []);
  await screenshot(page, 'user-risk');
  assert.deepEqual(problems, []);
});
