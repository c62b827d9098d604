import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from '../process.js';
import { after, before } from 'node:test';
import { makeTestApp, type TestContext } from '../helpers.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Serves the test app on a loopback port; returns its base URL and a closer. */
export async function serve(ctx: TestContext): Promise<{ url: string; close: () => Promise<void> }> {
  const server = ctx.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Collects console errors, page errors and failed requests: any of them fails a browser test. */
export function watchForErrors(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}`));
  return problems;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = path.join(ROOT, 'test-results');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

export interface BrowserSite {
  ctx: TestContext;
  browser: Browser;
  url: string;
}

/** The real app on a loopback port and a headless Chromium, for one test file. */
export function useBrowserSite(): BrowserSite {
  const site = {} as BrowserSite;
  let close: (() => Promise<void>) | undefined;
  before(async () => {
    site.ctx = await makeTestApp();
    const served = await serve(site.ctx);
    site.url = served.url;
    close = served.close;
    site.browser = await launchBrowser();
  });
  after(async () => {
    await site.browser?.close();
    await close?.();
    await site.ctx?.close();
  });
  return site;
}

/** Signs in through the real form and waits for the page it leads to. */
export async function signInWithForm(page: Page, url: string, user: { username: string; password: string }, landing = '/dashboard') {
  await page.goto(url + '/login');
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(url + landing);
}

const AXE_SOURCE = fs.readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

interface AxeViolation { id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }

/**
 * Runs axe-core on the page as it stands and returns every violation, of any impact, as text.
 * The script is evaluated through the DevTools protocol, so the page's strict CSP stays on.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  // A string, evaluated in the page: the tests are compiled without the DOM's types.
  const violations = await page.evaluate<AxeViolation[]>("axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)");
  return violations.map((v) => `${v.impact ?? 'unknown'} ${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`);
}
