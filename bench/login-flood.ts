import autocannon from 'autocannon';
import path from 'node:path';
import { apiLogin, ROOT, startProcess } from './servers.js';

const ADDRESSES = 250;

interface Latency {
  rps: number;
  p50: number;
  p99: number;
  failed: number;
}

async function validateLoad(url: string, token: string, seconds: number): Promise<Latency> {
  const r = await autocannon({ url: url + '/auth/validate', method: 'POST', headers: { Authorization: `Bearer ${token}` }, connections: 10, duration: seconds });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, failed: r.non2xx + r.errors + r.timeouts };
}

/**
 * Sign-ins with random usernames from 250 addresses (X-Forwarded-For behind a trusted proxy),
 * every setting at its default, while the main app keeps validating its token: how fast
 * /auth/validate stays, and what the flood is answered.
 */
export async function loginFloodBench(options: { dataDir: string; seconds: number }): Promise<void> {
  const app = await startProcess([path.join(ROOT, 'dist/src/server.js')], {
    DATA_DIR: path.join(options.dataDir, 'flood'), LOG_REQUESTS: 'false', TRUST_PROXY: '1',
    ADMIN_USERNAME: 'bench-admin', ADMIN_PASSWORD: 'bench owner passphrase',
  }, /"msg":"listening"/);
  try {
    const token = await apiLogin(app.url, 'bench-admin', 'bench owner passphrase');
    await validateLoad(app.url, token, 1);
    const quiet = await validateLoad(app.url, token, options.seconds);
    let n = 0;
    const flood = autocannon({
      url: app.url, connections: ADDRESSES, duration: options.seconds,
      requests: [{
        method: 'POST', path: '/auth/login', headers: { 'content-type': 'application/json' },
        setupRequest: (request) => {
          n += 1;
          const address = `203.0.113.${n % ADDRESSES}`;
          return { ...request, headers: { ...request.headers, 'x-forwarded-for': address },
            body: JSON.stringify({ username: `flood-${n}`, password: `guess ${n}` }) };
        },
      }],
    });
    const loaded = await validateLoad(app.url, token, options.seconds);
    const answers = await flood;
    const byStatus = Object.entries(answers.statusCodeStats).map(([status, { count }]) => `${status}: ${count}`).join(', ');
    console.log(`\nSign-in flood: ${ADDRESSES} connections from ${ADDRESSES} addresses, ${options.seconds}s, default settings; /auth/validate at 10 connections`);
    console.log('                              req/s     p50 ms  p99 ms  failed');
    for (const [name, r] of [['/auth/validate, no flood', quiet], ['/auth/validate, during flood', loaded]] as const) {
      console.log(`${name.padEnd(29)} ${r.rps.toFixed(0).padStart(6)}  ${r.p50.toFixed(2).padStart(7)} ${r.p99.toFixed(2).padStart(7)}  ${String(r.failed).padStart(6)}`);
    }
    console.log(`flood answers by status: ${byStatus} (${answers.requests.total} in all, ${answers.errors} errors, ${answers.timeouts} timeouts)`);
  } finally {
    await app.stop();
  }
}
