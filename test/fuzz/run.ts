/**
 * `npm run fuzz`: the properties of test/fuzz-*.test.ts with many more cases and a fresh seed,
 * every case run (nothing stops at the first problem), then a table per route.
 *   FUZZ_RUNS   cases per route (default 1000)
 *   FUZZ_SEED   replay a run (the seed is printed first)
 *   FUZZ_ROUTES only routes whose "METHOD /path" contains this text
 *   FUZZ_SURFACE api or panel, to run just one surface (two runs can then share the work)
 */
import { fuzzRoute, seedFor, type RouteStats } from './harness.js';
import { API_ROUTES, mountedRoutes, PANEL_ROUTES, type RouteSpec } from './routes.js';
import { createFuzzWorld } from './world.js';

const runs = Number(process.env.FUZZ_RUNS ?? 1000);
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const only = process.env.FUZZ_ROUTES ?? '';
const surface = process.env.FUZZ_SURFACE ?? '';

async function fuzzSurface(routes: RouteSpec[]): Promise<RouteStats[]> {
  const world = await createFuzzWorld();
  try {
    const out: RouteStats[] = [];
    for (const spec of routes.filter((r) => r.key.includes(only))) {
      const stats = await fuzzRoute(world, spec, { numRuns: runs, seed: seedFor(spec.key, seed), collect: true });
      process.stderr.write(`${spec.key}: ${stats.cases} cases, ${stats.failures} with problems\n`);
      out.push(stats);
    }
    return out;
  } finally {
    await world.close();
  }
}

function table(rows: RouteStats[]): string {
  const fivexx = (r: RouteStats) => [...r.statuses].filter(([s]) => s >= 500 || s === 0).reduce((n, [, k]) => n + k, 0);
  const statuses = (r: RouteStats) => [...r.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
  const lines = rows.map((r) => [r.key, String(r.cases), String(fivexx(r)), String(r.failures), statuses(r)]);
  lines.unshift(['route', 'cases', '5xx/none', 'problems', 'statuses seen (0 = no complete answer)']);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...lines.map((l) => l[i]!.length)));
  const fmt = (l: string[]) => l.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c)).join(' | ');
  const total = rows.reduce((a, r) => ({ cases: a.cases + r.cases, fivexx: a.fivexx + fivexx(r), failures: a.failures + r.failures }),
    { cases: 0, fivexx: 0, failures: 0 });
  return [fmt(lines[0]!), ...lines.slice(1).map(fmt), `TOTAL ${total.cases} cases, ${total.fivexx} answered 5xx or not at all, ${total.failures} with a problem`].join('\n');
}

async function main(): Promise<number> {
  console.log(`fuzz: ${runs} cases per route, seed ${seed} (FUZZ_SEED=${seed} replays this run)`);
  const probe = await createFuzzWorld();
  const known = new Set([...API_ROUTES, ...PANEL_ROUTES].map((r) => r.key));
  const unknown = mountedRoutes(probe.ctx.app).filter((k) => !known.has(k));
  await probe.close();
  if (unknown.length) console.log(`routes without a fuzz entry (add them to test/fuzz/routes.ts): ${unknown.join(', ')}`);
  const rows = [...surface !== 'panel' ? await fuzzSurface(API_ROUTES) : [], ...surface !== 'api' ? await fuzzSurface(PANEL_ROUTES) : []];
  console.log(table(rows));
  for (const r of rows.filter((x) => x.examples.length)) console.log(`\n${r.key}\n  ${r.examples.join('\n  ')}`);
  return unknown.length || rows.some((r) => r.failures) ? 1 : 0;
}

process.exitCode = await main();
