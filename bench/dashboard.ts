import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db.js';
import { systemClock } from '../src/clock.js';
import { createActivityLog } from '../src/features/activity/activity-log.service.js';
import { seedContacts, seedHistory } from './seed.js';
import { percentile, ROOT, startProcess } from './servers.js';

/** A signed-in panel session for the bench: the login form, its CSRF token, the cookie. */
export async function panelCookie(url: string, username: string, password: string): Promise<string> {
  const page = await fetch(url + '/login');
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const res = await fetch(url + '/login', {
    method: 'POST', redirect: 'manual', headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, username, password }).toString(),
  });
  if (res.status !== 303) throw new Error(`panel sign-in failed: ${res.status}`);
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

/** Dashboard render time at size, and what recording a sign-in in the activity log costs. */
export async function dashboardBench(options: { messages: number; events: number }): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-bench-dash-'));
  try {
    const t = performance.now();
    const seeded = await seedContacts(dataDir, 100_000, 200);
    seedHistory(dataDir, options.messages, options.events);
    console.log(`\nDashboard (seeded ${options.messages.toLocaleString('en')} messages over 30 days and ${options.events.toLocaleString('en')} activity rows in ${((performance.now() - t) / 1000).toFixed(1)} s)`);

    // The activity log's share of a sign-in: one chained row plus the anomaly rules.
    const db = openDatabase(path.join(dataDir, 'security.db'));
    const activityLog = createActivityLog({ db, settings: loadConfig({ DATA_DIR: dataDir, BUSINESS_HOURS: '00:00-24:00' }).activity, clock: systemClock });
    const costs: number[] = [];
    for (let i = 0; i < 500; i += 1) {
      const started = performance.now();
      activityLog.append({ action: 'login', outcome: i % 5 ? 'success' : 'failure', userId: 2 + (i % 200), username: `bench-worker-${i % 200}`,
        ip: `10.9.${i % 50}.1`, userAgent: 'bench', detail: { channel: 'api' } });
      costs.push(performance.now() - started);
    }
    db.close();
    costs.sort((a, b) => a - b);
    console.log(`activity row + anomaly rules per sign-in: p50 ${percentile(costs, 0.5).toFixed(3)} ms, p99 ${percentile(costs, 0.99).toFixed(3)} ms (a sign-in's argon2id verify is ~20-25 ms)`);

    const server = await startProcess([path.join(ROOT, 'dist/src/server.js')], { DATA_DIR: dataDir, LOG_REQUESTS: 'false', LOGIN_REQUESTS_PER_MINUTE: '100000' }, /"msg":"listening"/);
    try {
      for (const [label, username] of [['admin', seeded.admin], ['manager (team of 20)', seeded.manager]] as const) {
        const cookie = await panelCookie(server.url, username, seeded.password);
        const times: number[] = [];
        for (let i = 0; i < 60; i += 1) {
          const started = performance.now();
          const res = await fetch(server.url + '/dashboard', { headers: { Cookie: cookie } });
          await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`dashboard answered ${res.status}`);
          if (i >= 10) times.push(performance.now() - started);
        }
        times.sort((a, b) => a - b);
        console.log(`GET /dashboard as ${label}: p50 ${percentile(times, 0.5).toFixed(2)} ms, p99 ${percentile(times, 0.99).toFixed(2)} ms (50 renders after 10 warm-up)`);
      }
    } finally {
      await server.stop();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
