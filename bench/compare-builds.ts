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
 * The server started first measured a few per cent apart from the one started second, so both
 * orders are run and the ratio given is the geometric mean of the two orders' medians.
 *
 *   BENCH_OTHER_BUILD=/path/to/other/dist/src/server.js node --import tsx bench/compare-builds.ts
 */
const rate = Number(process.env.BENCH_COMPARE_RATE ?? 600);
const seconds = Number(process.env.BENCH_COMPARE_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_COMPARE_ROUNDS ?? 7);
const other = process.env.BENCH_OTHER_BUILD ?? path.join(ROOT, 'dist/src/server.js');
// BENCH_COMPARE_ONLY=validate keeps the endpoints whose name matches.
const only = new RegExp(process.env.BENCH_COMPARE_ONLY ?? '.', 'i');

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
interface Endpoint { name: string; method: string; path: string; auth: 'bearer' | 'cookie' | 'none' }

const ENDPOINTS: Endpoint[] = [
  { name: 'POST /auth/validate', method: 'POST', path: '/auth/validate', auth: 'bearer' },
  { name: 'GET /health', method: 'GET', path: '/health', auth: 'none' },
  { name: 'GET /api/users?limit=20', method: 'GET', path: '/api/users?limit=20', auth: 'bearer' },
  { name: 'GET /api/messages/stats', method: 'GET', path: '/api/messages/stats', auth: 'bearer' },
  { name: 'GET /dashboard (panel)', method: 'GET', path: '/dashboard', auth: 'cookie' },
  { name: 'GET /users (panel)', method: 'GET', path: '/users', auth: 'cookie' },
].filter((e) => only.test(e.name)) as Endpoint[];

async function start(dataDir: string, name: string, entry: string): Promise<Target> {
  const dir = path.join(dataDir, name);
  fs.mkdirSync(dir, { recursive: true });
  const server = await startProcess([entry], {
    DATA_DIR: dir, LOG_REQUESTS: 'false', ADMIN_USERNAME: 'bench-admin', ADMIN_PASSWORD: 'bench owner passphrase', BACKUP_INTERVAL_HOURS: '0',
    LOGIN_REQUESTS_PER_MINUTE: '100000', LOGIN_PAGE_REQUESTS_PER_MINUTE: '1000000',
  }, /"msg":"listening"/);
  return { server, bearer: `Bearer ${await apiLogin(server.url, 'bench-admin', 'bench owner passphrase')}`, cookie: await panelCookie(server.url) };
}

async function load(t: Target, e: Endpoint, duration: number): Promise<number> {
  const headers: Record<string, string> = e.auth === 'bearer' ? { Authorization: t.bearer } : e.auth === 'cookie' ? { Cookie: t.cookie } : {};
  const before = cpuSeconds(t.server.pid);
  const r = await autocannon({ url: t.server.url + e.path, method: e.method, headers, connections: 10, overallRate: rate, duration });
  if (r.non2xx + r.errors + r.timeouts > 0) throw new Error(`${e.name} on ${t.server.url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return ((cpuSeconds(t.server.pid) - before) * 1e6) / Math.max(1, r.requests.total);
}

/** One order of starting: every endpoint's rounds, as this ÷ other per round. */
async function measure(thisFirst: boolean): Promise<Map<string, { mine: number[]; theirs: number[] }>> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-bench-compare-'));
  const started: Target[] = [];
  try {
    for (const [name, entry] of thisFirst ? [['this', path.join(ROOT, 'dist/src/server.js')], ['other', other]] : [['other', other], ['this', path.join(ROOT, 'dist/src/server.js')]]) {
      started.push(await start(dataDir, name!, entry!));
    }
    const [mine, theirs] = thisFirst ? [started[0]!, started[1]!] : [started[1]!, started[0]!];
    const results = new Map<string, { mine: number[]; theirs: number[] }>();
    for (const e of ENDPOINTS) {
      await Promise.all([load(mine, e, 1), load(theirs, e, 1)]);
      const r = { mine: [] as number[], theirs: [] as number[] };
      for (let round = 0; round < rounds; round += 1) {
        const [m, t] = await Promise.all([load(mine, e, seconds), load(theirs, e, seconds)]);
        r.mine.push(m);
        r.theirs.push(t);
      }
      results.set(e.name, r);
    }
    return results;
  } finally {
    for (const t of started) await t.server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const first = await measure(true);
  const second = await measure(false);
  console.log(`\nThis build vs ${process.env.BENCH_OTHER_BUILD ? other : 'itself (noise floor)'}: both loaded at once, ${rate} req/s each, ${seconds} s a round, ` +
    `${rounds} rounds in each start order (${os.cpus().length} cores)`);
  console.log('endpoint                      CPU µs/request other   this   this ÷ other: started first, second, both (geometric mean)');
  for (const e of ENDPOINTS) {
    const ratio = (r: { mine: number[]; theirs: number[] }) => median(r.mine.map((m, i) => m / r.theirs[i]!));
    const a = ratio(first.get(e.name)!);
    const b = ratio(second.get(e.name)!);
    const all = [first.get(e.name)!, second.get(e.name)!];
    const us = (k: 'mine' | 'theirs') => median(all.flatMap((r) => r[k])).toFixed(1);
    console.log(`${e.name.padEnd(29)} ${us('theirs').padStart(20)} ${us('mine').padStart(6)}   ${a.toFixed(3)}  ${b.toFixed(3)}  ${Math.sqrt(a * b).toFixed(3)}`);
  }
}

await main();
