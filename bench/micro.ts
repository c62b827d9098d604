import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/db.js';
import { hashPassword, verifyPassword } from '../src/passwords/password.js';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Single-row commits per second under each synchronous level, on this machine's disk. */
export function commitRate(synchronous: 'FULL' | 'NORMAL', seconds = 2): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-bench-'));
  const db = openDatabase(path.join(dir, 'bench.db'), { synchronous });
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    insert.run('row ' + n);
    n += 1;
  }
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return n / seconds;
}

/** Median milliseconds for one argon2id hash and one verify with the production parameters. */
export async function argon2Timings(rounds = 15): Promise<{ hashMs: number; verifyMs: number }> {
  const hashes: number[] = [];
  const verifies: number[] = [];
  for (let i = 0; i < rounds; i += 1) {
    let t = performance.now();
    const hash = await hashPassword('benchmark passphrase ' + i);
    hashes.push(performance.now() - t);
    t = performance.now();
    await verifyPassword(hash, 'benchmark passphrase ' + i);
    verifies.push(performance.now() - t);
  }
  return { hashMs: median(hashes), verifyMs: median(verifies) };
}
