import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { argon2Timings, commitRate } from './micro.js';
import { ROOT, startProcess, type Server } from './servers.js';

// Loopback only, every run bounded: DURATION seconds per endpoint, CONNECTIONS sockets.
const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
}

async function load(name: string, url: string, headers: Record<string, string> = {}): Promise<Row> {
  await autocannon({ url, headers, connections: CONNECTIONS, duration: 1 }); // warm-up
  const r = await autocannon({ url, headers, connections: CONNECTIONS, duration: DURATION });
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx + r.errors + r.timeouts };
}

async function sessionCookie(url: string): Promise<string> {
  const res = await fetch(url + '/login');
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-bench-'));
  const servers: Server[] = [];
  try {
    const bare = await startProcess(['--import', 'tsx', 'bench/bare-express.ts'], {}, /listening/);
    servers.push(bare);
    const app = await startProcess([path.join(ROOT, 'dist/src/server.js')], {
      DATA_DIR: dataDir, LOG_REQUESTS: 'false', ADMIN_USERNAME: 'bench-admin', ADMIN_PASSWORD: 'bench admin passphrase',
      LOGIN_REQUESTS_PER_MINUTE: '100000',
    }, /"msg":"listening"/);
    servers.push(app);

    const rows = [
      await load('bare Express GET /', bare.url + '/'),
      await load('GET /health', app.url + '/health'),
      await load('GET /login (new session each)', app.url + '/login'),
      await load('GET /login (same session)', app.url + '/login', { Cookie: await sessionCookie(app.url) }),
    ];
    const base = rows[0]!.rps;
    console.log(`\nHTTP, ${CONNECTIONS} keep-alive connections, ${DURATION}s each, server on one process (${os.cpus().length} cores)`);
    console.log('endpoint                          req/s     p50 ms  p99 ms  non-2xx  vs bare');
    for (const r of rows) {
      console.log(`${r.name.padEnd(32)} ${r.rps.toFixed(0).padStart(7)}  ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)}  ${String(r.non2xx).padStart(7)}  ${(r.rps / base).toFixed(2)}`);
    }
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

  const argon = await argon2Timings();
  console.log('\nargon2id (m=19 MiB, t=2, p=1), median of 15');
  console.log(`hash ${argon.hashMs.toFixed(1)} ms, verify ${argon.verifyMs.toFixed(1)} ms`);
}

await main();
