import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fuzzRoute, seedFor } from './harness.js';
import { mountedRoutes, type RouteSpec } from './routes.js';
import { FUZZ_RUNS, FUZZ_SEED } from './settings.js';
import { createFuzzWorld, type FuzzWorld } from './world.js';

/**
 * The fuzz of one surface under node:test: its route table must match what is mounted there,
 * then every route gets the properties (never a 5xx, a stack, SQL or a secret; a refusal
 * changes nothing) with the fixed seed. One file per surface, so the two run in parallel.
 */
export function fuzzSurface(title: string, routes: RouteSpec[], onSurface: (key: string) => boolean): void {
  let world: FuzzWorld;
  before(async () => {
    world = await createFuzzWorld();
  });
  after(() => world.close());

  describe(title, () => {
    test('every mounted route of this surface has a fuzz entry, and every entry is mounted', () => {
      assert.deepEqual(mountedRoutes(world.ctx.app).filter(onSurface), routes.map((r) => r.key).sort());
    });

    for (const spec of routes) {
      test(`${spec.key}: never a 5xx, a stack, SQL or a secret; a refusal changes nothing`, async () => {
        const stats = await fuzzRoute(world, spec, { numRuns: FUZZ_RUNS, seed: seedFor(spec.key, FUZZ_SEED), collect: false });
        assert.equal(stats.cases, FUZZ_RUNS);
      });
    }
  });
}
