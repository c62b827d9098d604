import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/db.js';
import { panelCookie } from './dashboard.js';
import { seedContacts, seedHistory } from './seed.js';
import { percentile, ROOT, startProcess } from './servers.js';

/** The activity log's console pages at size: the log and its filters, a user's timeline, a manager's team view. */
export async function activityListBench(options: { events: number }): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-bench-activity-'));
  try {
    const t = performance.now();
    const seeded = await seedContacts(dataDir, 1000, 200);
    seedHistory(dataDir, 0, options.events);
    console.log(`\nActivity pages (seeded ${options.events.toLocaleString('en')} activity rows from 200 workers in ${((performance.now() - t) / 1000).toFixed(1)} s;`
      + ' the manager\'s team of 20 holds a tenth of them)');
    const server = await startProcess([path.join(ROOT, 'dist/src/server.js')], { DATA_DIR: dataDir, LOG_REQUESTS: 'false', LOGIN_REQUESTS_PER_MINUTE: '100000' }, /"msg":"listening"/);
    try {
      const admin = await panelCookie(server.url, seeded.admin, seeded.password);
      const manager = await panelCookie(server.url, seeded.manager, seeded.password);
      const worker = seeded.workers[7]!;
      const db = openDatabase(path.join(dataDir, 'security.db'));
      const workerId = db.prepare('SELECT id FROM users WHERE username = ?').pluck().get(worker) as number;
      db.close();
      const pages: Array<[string, string, string]> = [
        ['/activity (admin, no filter)', '/activity', admin],
        ['/activity?user= (one worker)', `/activity?user=${worker}`, admin],
        ['/activity?about= (one worker)', `/activity?about=${worker}`, admin],
        ['/activity?action=login&outcome=failure', '/activity?action=login&outcome=failure', admin],
        ['/activity?ip= (one IP)', '/activity?ip=10.1.7.7', admin],
        ['/activity?before= (deep page)', `/activity?before=${Math.floor(options.events / 100)}`, admin],
        ['/users/:id timeline (by and about)', `/users/${workerId}`, admin],
        ['/team/activity (manager, team of 20)', '/team/activity', manager],
      ];
      for (const [label, url, cookie] of pages) {
        const times: number[] = [];
        for (let i = 0; i < 60; i += 1) {
          const started = performance.now();
          const res = await fetch(server.url + url, { headers: { Cookie: cookie } });
          await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
          if (i >= 10) times.push(performance.now() - started);
        }
        times.sort((a, b) => a - b);
        console.log(`${label.padEnd(42)} p50 ${percentile(times, 0.5).toFixed(2)} ms, p99 ${percentile(times, 0.99).toFixed(2)} ms`);
      }
    } finally {
      await server.stop();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
