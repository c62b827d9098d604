/**
 * `npm test` runs a fixed seed and a few cases per route, so a failure replays exactly;
 * `npm run fuzz` (test/fuzz/run.ts) runs many more with a fresh seed. FUZZ_RUNS and FUZZ_SEED
 * override both, e.g. to replay a seed the big run printed under node:test.
 */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 20);
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 0x5eed9);
