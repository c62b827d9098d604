import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { fuzzRoute, seedFor } from './fuzz/harness.js';
import { API_ROUTES, PANEL_ROUTES } from './fuzz/routes.js';
import { FUZZ_RUNS, FUZZ_SEED } from './fuzz/settings.js';
import { createFuzzWorld, type FuzzWorld } from './fuzz/world.js';

// The other fuzz files raise the sign-in and message limits so 429s do not hide the routes
// behind them; here the limits are the shipped defaults, already spent, so the fuzz meets them.
let world: FuzzWorld;
before(async () => {
  world = await createFuzzWorld({});
});
after(() => world.close());

const spec = (key: string) => [...API_ROUTES, ...PANEL_ROUTES].find((r) => r.key === key)!;

describe('fuzz with the real limits', () => {
  test('refusals at the limits (429) still leak nothing and change nothing', async () => {
    // Spend the per-IP cap on API sign-in requests (300 a minute) and the worker's message quota (10 a minute).
    for (let i = 0; i < 301; i += 1) await request(world.server).post('/auth/login').send({});
    const worker = { Authorization: `Bearer ${world.token('worker')}` };
    for (let i = 0; i < 11; i += 1) {
      await request(world.server).post('/api/messages/log').set(worker).send({ recipient_phone: '+34 612 345 678', message_content: `m${i}` });
    }
    const seen = new Set<number>();
    // No sign-out route here: reviving the panel fixtures signs in again, which the real cap of
    // 60 panel sign-ins a minute would soon refuse; and at most 20 cases, whatever FUZZ_RUNS says.
    for (const key of ['POST /auth/login', 'POST /api/messages/log', 'POST /api/messages/bulk-log', 'POST /login']) {
      const stats = await fuzzRoute(world, spec(key), { numRuns: Math.min(FUZZ_RUNS, 20), seed: seedFor(key, FUZZ_SEED), collect: false });
      for (const status of stats.statuses.keys()) seen.add(status);
    }
    assert.ok(seen.has(429), `the limits were met: ${[...seen].join(', ')}`);
  });
});
