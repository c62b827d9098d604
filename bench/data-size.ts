import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { seedContacts } from './seed.js';
import { apiLogin, percentile, ROOT, startProcess } from './servers.js';

async function timed(url: string, token: string, init: RequestInit = {}): Promise<number> {
  const started = performance.now();
  const res = await fetch(url, { ...init, headers: { ...(init.headers ?? {}), Authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return performance.now() - started;
}

/** Contacts sync and search at size, and message logging, against the real server. */
export async function dataSizeBench(options: { contacts: number; seconds: number }): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-bench-size-'));
  const seedStart = performance.now();
  const seeded = await seedContacts(dataDir, options.contacts, 200);
  console.log(`\nData-size benchmarks (seeded ${options.contacts.toLocaleString('en')} contacts from 200 workers in ${((performance.now() - seedStart) / 1000).toFixed(1)} s)`);
  const server = await startProcess([path.join(ROOT, 'dist/src/server.js')], {
    DATA_DIR: dataDir, LOG_REQUESTS: 'false', API_LOGIN_REQUESTS_PER_MINUTE: '100000', DB_SYNCHRONOUS: process.env.BENCH_DB_SYNCHRONOUS ?? 'FULL', LOGIN_REQUESTS_PER_MINUTE: '100000',
    RATE_LIMIT_MESSAGES_PER_MINUTE: '100000', RATE_LIMIT_MESSAGES_PER_HOUR: '1000000', RATE_LIMIT_MESSAGES_PER_DESTINATION_HOUR: '100000',
  }, /"msg":"listening"/);
  try {
    const admin = await apiLogin(server.url, seeded.admin, seeded.password);

    // Sync: 100k new contacts in 10 requests of 10k, as the main app sends them.
    const syncTimes: number[] = [];
    for (let batch = 0; batch < 10; batch += 1) {
      const contacts = Array.from({ length: 10_000 }, (_, i) => ({ phone: `+4915${String(batch * 10_000 + i).padStart(8, '0')}`, name: `Synced ${batch}-${i}` }));
      syncTimes.push(await timed(server.url + '/api/contacts/sync', admin, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ contacts, source_group: 'Bench group' }),
      }));
    }
    const syncSeconds = syncTimes.reduce((a, b) => a + b, 0) / 1000;
    console.log(`POST /api/contacts/sync: 100,000 new contacts in 10 requests: ${(100_000 / syncSeconds).toFixed(0)} contacts/s (${(syncSeconds * 100).toFixed(0)} ms per 10k request)`);

    // Search: varied terms (names and phone fragments), admin scope and one worker's scope.
    const terms = ['García', 'ana', 'Kowalski 12', 'Lucía', '600123', '34600', 'müller', 'Omar Dubois', '9998', 'Jens'];
    const worker = await apiLogin(server.url, seeded.workers[7]!, seeded.password);
    const manager = await apiLogin(server.url, seeded.manager, seeded.password);
    const scopes = [['admin (all contacts)', admin], ['worker (own contacts)', worker], ['manager (team of 20: a tenth of all)', manager]] as const;
    for (const [label, token] of scopes) {
      const latencies: number[] = [];
      for (let round = 0; round < 20; round += 1) {
        for (const term of terms) latencies.push(await timed(`${server.url}/api/contacts?search=${encodeURIComponent(term)}&limit=100`, token));
      }
      latencies.sort((a, b) => a - b);
      console.log(`GET /api/contacts?search= over ${(options.contacts + 100_000).toLocaleString('en')} contacts, ${label}: p50 ${percentile(latencies, 0.5).toFixed(2)} ms, p99 ${percentile(latencies, 0.99).toFixed(2)} ms (${latencies.length} searches, total included)`);
    }

    // Message logging: 200 senders, each its own token, quotas raised so none refuses.
    // Signed in 20 at a time, as a client behind one IP must: the per-IP budget counts checks in flight.
    const tokens: string[] = [];
    for (let i = 0; i < seeded.workers.length; i += 20) {
      tokens.push(...await Promise.all(seeded.workers.slice(i, i + 20).map((w) => apiLogin(server.url, w, seeded.password))));
    }
    const requests = tokens.map((token, i) => ({
      method: 'POST', path: '/api/messages/log',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ recipient_phone: `+3461${String(i).padStart(7, '0')}`, message_content: 'Hello from the bench', template_used: 'bench' }),
    }));
    const result = await autocannon({ url: server.url, connections: 10, duration: options.seconds, requests });
    console.log(`POST /api/messages/log, 200 senders, 10 connections, ${options.seconds}s: ${result.requests.average.toFixed(0)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}`);
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
