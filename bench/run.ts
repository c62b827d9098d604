import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { activityListBench } from './activity-size.js';
import { backupUnderLoadBench } from './backup-under-load.js';
import { dashboardBench } from './dashboard.js';
import { dataSizeBench } from './data-size.js';
import { loginFloodBench } from './login-flood.js';
import { loggingCostBench, printLoggingCost } from './logging.js';
import { argon2Timings, commitRate } from './micro.js';
import { loadWithoutKeepAlive } from './no-keepalive.js';
import { apiLogin, ROOT, startProcess, type Server } from './servers.js';

// Loopback only, every run bounded: DURATION seconds per endpoint, CONNECTIONS sockets.
const DURATION = Number(process.env.BENCH_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
}

async function load(name: string, url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Row> {
  await autocannon({ url, headers, method, connections: CONNECTIONS, duration: 1 }); // warm-up
  const r = await autocannon({ url, headers, method, connections: CONNECTIONS, duration: DURATION });
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx + r.errors + r.timeouts };
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function medianRow(runs: Row[]): Row {
  const mid = <K extends 'rps' | 'p50' | 'p99' | 'non2xx'>(k: K) => [...runs].sort((a, b) => a[k] - b[k])[Math.floor(runs.length / 2)]![k];
  return { name: runs[0]!.name, rps: mid('rps'), p50: mid('p50'), p99: mid('p99'), non2xx: mid('non2xx') };
}

/** Runs the measurements interleaved, ROUNDS times, and keeps each one's median: less noise on 2 cores. */
async function interleaved(measures: Array<() => Promise<Row>>): Promise<Row[]> {
  const runs: Row[][] = measures.map(() => []);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [i, measure] of measures.entries()) runs[i]!.push(await measure());
  }
  return runs.map(medianRow);
}

function print(title: string, rows: Row[]): void {
  const base = rows[0]!;
  console.log(`\n${title}`);
  console.log('endpoint                          req/s     p50 ms  p99 ms  non-2xx  req/s vs bare  p99 vs bare');
  for (const r of rows) {
    console.log(`${r.name.padEnd(32)} ${r.rps.toFixed(0).padStart(7)}  ${r.p50.toFixed(2).padStart(7)} ${r.p99.toFixed(2).padStart(7)}  ${String(r.non2xx).padStart(7)}  ${(r.rps / base.rps).toFixed(2).padStart(13)}  ${(r.p99 / Math.max(base.p99, 0.01)).toFixed(2).padStart(11)}`);
  }
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-bench-'));
  const servers: Server[] = [];
  try {
    const bare = await startProcess(['--import', 'tsx', 'bench/bare-express.ts'], {}, /listening/);
    servers.push(bare);
    const app = await startProcess([path.join(ROOT, 'dist/src/server.js')], {
      DATA_DIR: dataDir, LOG_REQUESTS: process.env.BENCH_LOG_REQUESTS ?? 'false', ADMIN_USERNAME: 'bench-admin', ADMIN_PASSWORD: 'bench owner passphrase',
      LOGIN_REQUESTS_PER_MINUTE: '100000', LOGIN_PAGE_REQUESTS_PER_MINUTE: '1000000', BACKUP_INTERVAL_HOURS: '0',
    }, /"msg":"listening"/);
    servers.push(app);

    if (process.env.BENCH_ONLY === 'logging') {
      printLoggingCost(await loggingCostBench({ dataDir }));
      return;
    }
    const bearer = { Authorization: `Bearer ${await apiLogin(app.url, 'bench-admin', 'bench owner passphrase')}` };
    const setting = `${CONNECTIONS} connections, ${DURATION}s per run, median of ${ROUNDS} interleaved runs, each server in one process (${os.cpus().length} cores)`;
    print(`Pages and health, keep-alive; ${setting}`, await interleaved([
      () => load('bare Express GET /', bare.url + '/'),
      () => load('GET /health', app.url + '/health'),
      () => load('GET /ready (one write a second)', app.url + '/ready'),
      () => load('GET /login (anonymous: no session)', app.url + '/login'),
    ]));
    print(`POST /auth/validate with a valid token vs a bare Express POST, keep-alive; ${setting}`, await interleaved([
      () => load('bare Express POST /', bare.url + '/', {}, 'POST'),
      () => load('POST /auth/validate', app.url + '/auth/validate', bearer, 'POST'),
    ]));
    printLoggingCost(await loggingCostBench({ dataDir }));
    const fresh = async (name: string, url: string, headers: Record<string, string> = {}): Promise<Row> => {
      const r = await loadWithoutKeepAlive(url, { method: 'POST', headers, connections: CONNECTIONS, seconds: DURATION });
      return { name, rps: r.rps, p50: r.p50, p99: r.p99, non2xx: r.failures };
    };
    print(`The same with a new connection per request (no keep-alive); ${setting}`, await interleaved([
      () => fresh('bare Express POST /', bare.url + '/'),
      () => fresh('POST /auth/validate', app.url + '/auth/validate', bearer),
    ]));
    for (const s of servers.splice(0)) await s.stop();
    await loginFloodBench({ dataDir, seconds: Number(process.env.BENCH_FLOOD_SECONDS ?? 20) });
  } finally {
    for (const s of servers) await s.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  const full = commitRate('FULL');
  const normal = commitRate('NORMAL');
  console.log('\nSQLite single-row commits (WAL), this disk');
  console.log(`synchronous=FULL    ${full.toFixed(0).padStart(7)} commits/s  (${(1000 / full).toFixed(3)} ms each)`);
  console.log(`synchronous=NORMAL  ${normal.toFixed(0).padStart(7)} commits/s  (${(1000 / normal).toFixed(3)} ms each)`);
  console.log(`fsync cost per commit: ${(1000 / full - 1000 / normal).toFixed(3)} ms`);

  if (process.env.BENCH_ONLY !== 'http') await dataSizeBench({ contacts: Number(process.env.BENCH_CONTACTS ?? 1_000_000), seconds: DURATION * 2 });

  if (process.env.BENCH_ONLY !== 'http') await backupUnderLoadBench({ contacts: Number(process.env.BENCH_CONTACTS ?? 1_000_000) });

  if (process.env.BENCH_ONLY !== 'http') await dashboardBench({ messages: Number(process.env.BENCH_MESSAGES ?? 1_000_000), events: Number(process.env.BENCH_EVENTS ?? 200_000) });

  if (process.env.BENCH_ONLY !== 'http') await activityListBench({ events: Number(process.env.BENCH_ACTIVITY_EVENTS ?? 1_000_000) });

  const argon = await argon2Timings();
  console.log('\nargon2id (m=19 MiB, t=2, p=1), median of 15');
  console.log(`hash ${argon.hashMs.toFixed(1)} ms, verify ${argon.verifyMs.toFixed(1)} ms`);
}

await main();
