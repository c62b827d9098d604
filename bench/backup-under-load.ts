import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedContacts } from './seed.js';
import { ROOT } from './servers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

const stats = (samples: Array<[number, number]>, from: number, to: number) => {
  const inside = samples.filter(([at]) => at >= from && at < to);
  const sorted = inside.map(([, ms]) => ms).sort((a, b) => a - b);
  const worst = inside.reduce<[number, number]>((w, s) => (s[1] > w[1] ? s : w), [from, 0]);
  // Writes stalled over 100 ms, and when the longest began (seconds into the window).
  return { n: sorted.length, max: worst[1], maxAt: (worst[0] - from) / 1000, over100: sorted.filter((ms) => ms > 100).length,
    p99: sorted[Math.floor(sorted.length * 0.99)] ?? 0 };
};

/**
 * A backup (npm run backup: VACUUM INTO on a read-only connection) of a database with
 * `contacts` contacts while another process commits one row after another: the backup's
 * duration and size, and the longest single write during it against the same time before it.
 */
export async function backupUnderLoadBench(options: { contacts: number; baselineSeconds?: number }): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-bench-backup-'));
  try {
    await seedContacts(dataDir, options.contacts, 200);
    const dbBytes = fs.statSync(path.join(dataDir, 'security.db')).size;
    // BENCH_BACKUP_OUT puts the copy on another filesystem (e.g. /dev/shm) to tell disk contention from locking.
    const outDir = fs.mkdtempSync(path.join(process.env.BENCH_BACKUP_OUT ?? dataDir, 'bench-backups-'));
    const backupArgs = [path.join(ROOT, 'scripts/launch.mjs'), 'backup', '--out', outDir];
    const backupEnv = { DATA_DIR: dataDir, BACKUP_KEEP: '1' };
    // A first, unmeasured run compiles the scripts if needed and warms the page cache, as a
    // running service's database is.
    await run(backupArgs, backupEnv);
    const writer = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/backup-writer.ts'), dataDir], { cwd: ROOT });
    let samplesText = '';
    writer.stdout.on('data', (d) => (samplesText += d));
    const writerDone = new Promise((r) => writer.on('close', r));
    await sleep(1_000); // writer warm-up
    const baselineFrom = Date.now();
    await sleep((options.baselineSeconds ?? 5) * 1000);
    const backupFrom = Date.now();
    const backup = await run(backupArgs, backupEnv);
    const backupTo = Date.now();
    writer.stdin.end();
    await writerDone;
    if (backup.code !== 0) throw new Error(`backup failed: ${backup.out}`);
    const samples = JSON.parse(samplesText) as Array<[number, number]>;
    const before = stats(samples, baselineFrom, backupFrom);
    const during = stats(samples, backupFrom, backupTo);
    const folder = fs.readdirSync(outDir).find((n) => n.startsWith('backup-'))!;
    const copyBytes = fs.statSync(path.join(outDir, folder, 'security.db')).size;
    fs.rmSync(outDir, { recursive: true, force: true });
    const seconds = (backupTo - backupFrom) / 1000;
    console.log(`\nBackup under write load (${options.contacts.toLocaleString('en')} contacts, live file ${(dbBytes / 1048576).toFixed(0)} MiB; one writer process committing single rows, synchronous=FULL; copy written to ${process.env.BENCH_BACKUP_OUT ? 'BENCH_BACKUP_OUT' : 'the same disk'})`);
    console.log(`npm run backup: ${seconds.toFixed(1)} s wall (process start included), copy ${(copyBytes / 1048576).toFixed(0)} MiB; ${backup.out.trim()}`);
    console.log(`writes before the backup: ${before.n} in ${((backupFrom - baselineFrom) / 1000).toFixed(0)} s, p99 ${before.p99.toFixed(2)} ms, longest ${before.max.toFixed(2)} ms, ${before.over100} over 100 ms`);
    console.log(`writes during the backup: ${during.n} in ${seconds.toFixed(1)} s, p99 ${during.p99.toFixed(2)} ms, longest ${during.max.toFixed(2)} ms (at ${during.maxAt.toFixed(1)} s), ${during.over100} over 100 ms`);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(ROOT, 'bench', 'backup-under-load.ts')) {
  await backupUnderLoadBench({ contacts: Number(process.env.BENCH_CONTACTS ?? 1_000_000) });
}
