import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fuzzRoute, seedFor } from './fuzz/harness.js';
import { API_ROUTES, isApiRoute, mountedRoutes } from './fuzz/routes.js';
import { FUZZ_RUNS, FUZZ_SEED } from './fuzz/settings.js';
import { createFuzzWorld, type FuzzWorld } from './fuzz/world.js';

let world: FuzzWorld;
before(async () => {
  world = await createFuzzWorld();
});
after(() => world.close());

describe('fuzz: the JSON API as an admin, a manager, a worker, anonymous and with a forged token', () => {
  test('every mounted /auth, /api and /health route has a fuzz entry, and every entry is mounted', () => {
    const mounted = mountedRoutes(world.ctx.app).filter(isApiRoute);
    assert.deepEqual(mounted, API_ROUTES.map((r) => r.key).sort());
  });

  for (const spec of API_ROUTES) {
    test(`${spec.key}: never a 5xx, a stack, SQL or a secret; a refusal changes nothing`, async () => {
      const stats = await fuzzRoute(world, spec, { numRuns: FUZZ_RUNS, seed: seedFor(spec.key, FUZZ_SEED), collect: false });
      assert.equal(stats.cases, FUZZ_RUNS);
    });
  }
});
