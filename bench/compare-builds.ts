import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { ROOT, apiLogin, startProcess, type Server } from './servers.js';

/**
 * This build against another one (BENCH_OTHER_BUILD: the other checkout's dist/src/server.js,
 * built with `npm run build` there; unset, this build twice, which gives the noise floor).
 * Both servers are loaded at the same time at the same fixed rate, so whatever else the machine
 * does falls on both alike, and each round compares their CPU time per request (from /proc).
 *
 *   BENCH_OTHER_BUILD=/path/to/other/dist/src/server.js node --import tsx bench/compare-builds.ts
 */
const rate = Number(process.env.BENCH_COMPARE_RATE ?? 600);
const seconds = Number(process.env.BENCH_COMPARE_SECONDS ?? 4);
const rounds = Number(process.env.BENCH_COMPARE_ROUNDS ?? 5);
const other = process.env.BENCH_OTHER_BUILD ?? path.join(ROOT, 'dist/src/server.js');

function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** A signed-in console session: the login form, its CSRF token, the cookie. */
async function panelCookie(url: string): Promise<string> {
  const page = await fetch(url + '/login');
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const res = await fetch(url + '/login', {
    method: 'POST', redirect: 'manual', headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, username: 'bench-admin', password: 'bench owner passphrase' }).toString(),
  });
  if (res.status !== 303) throw new Error(`panel sign-in failed: ${res.status}`);
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

interface Target { server: Server; bearer: string; cookie: string }

const ENDPOINTS: Array<{ name: string; method: string; path: string; auth: 'bearer' | 'cookie' | 'none' }> = [
  { name: 'POST /auth/validate', method: 'POST', path: '/auth/validate', auth: 'bearer' },
  { name: 'GET /health', method: 'GET', path: '/health', auth: 'none' },
  { name: 'GET /api/users?limit=20', method: 'GET', path: '/api/users?limit=20', auth: 'bearer' },
  { name: 'GET /api/messages/stats', method: 'GET', path: '/api/messages/stats', auth: 'bearer' },
  { name: 'GET /dashboard (panel)', method: 'GET', path: '/dashboard', auth: 'cookie' },
  { name: 'GET /users (panel)', method: 'GET', path: '/users', auth: 'cookie' },
];

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-bench-compare-'));
  const servers: Server[] = [];
  const start = async (name: string, entry: string): Promise<Target> => {
    const dir = path.join(dataDir, name);
    fs.mkdirSync(dir, { recursive: true });
    const server = await startProcess([entry], {
      DATA_DIR: dir, LOG_REQUESTS: 'false', ADMIN_USERNAME: 'bench-admin', ADMIN_PASSWORD: 'bench owner passphrase', BACKUP_INTERVAL_HOURS: '0',
      LOGIN_REQUESTS_PER_MINUTE: '100000', LOGIN_PAGE_REQUESTS_PER_MINUTE: '1000000',
    }, /"msg":"listening"/);
    servers.push(server);
    return { server, bearer: `Bearer ${await apiLogin(server.url, 'bench-admin', 'bench owner passphrase')}`, cookie: await panelCookie(server.url) };
  };
  try {
    const mine = await start('this', path.join(ROOT, 'dist/src/server.js'));
    const theirs = await start('other', other);
    console.log(`\nThis build vs ${process.env.BENCH_OTHER_BUILD ? other : 'itself (noise floor)'}: both loaded at once, ${rate} req/s each, ${seconds} s a round, median of ${rounds} rounds`);
    console.log('endpoint                     CPU µs/request other   this   this ÷ other (median of rounds)   each round');
    // BENCH_COMPARE_ONLY=validate keeps the endpoints whose name matches.
    const only = new RegExp(process.env.BENCH_COMPARE_ONLY ?? '.', 'i');
    for (const e of ENDPOINTS.filter((x) => only.test(x.name))) {
      const load = async (t: Target, duration: number) => {
        const headers: Record<string, string> = e.auth === 'bearer' ? { Authorization: t.bearer } : e.auth === 'cookie' ? { Cookie: t.cookie } : {};
        const before = cpuSeconds(t.server.pid);
        const r = await autocannon({ url: t.server.url + e.path, method: e.method, headers, connections: 10, overallRate: rate, duration });
        if (r.non2xx + r.errors + r.timeouts > 0) throw new Error(`${e.name} on ${t.server.url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        return ((cpuSeconds(t.server.pid) - before) * 1e6) / Math.max(1, r.requests.total);
      };
      await Promise.all([load(mine, 1), load(theirs, 1)]);
      const results: Array<{ mine: number; theirs: number }> = [];
      for (let round = 0; round < rounds; round += 1) {
        const [m, t] = await Promise.all([load(mine, seconds), load(theirs, seconds)]);
        results.push({ mine: m, theirs: t });
      }
      const ratio = median(results.map((r) => r.mine / r.theirs));
      const each = results.map((r) => (r.mine / r.theirs).toFixed(2)).join(' ');
      console.log(`${e.name.padEnd(28)} ${median(results.map((r) => r.theirs)).toFixed(1).padStart(20)} ${median(results.map((r) => r.mine)).toFixed(1).padStart(6)}   ${ratio.toFixed(3).padStart(11)}   ${each}`);
    }
  } finally {
    for (const s of servers) await s.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
