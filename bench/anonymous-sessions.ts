import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { migrate, openDatabase } from '../src/db.js';
import { createJsonLogger } from '../src/http/logger.js';
import { createSessionStore, SESSION_DB_FILE } from '../src/http/session.js';

/**
 * What anonymous traffic costs on disk: N page views with no cookie (the sign-in page, a
 * protected page's redirect, a 404, a static file), then the session rows and the bytes of
 * sessions.db (with its -wal) they added.
 *   node --import tsx bench/anonymous-sessions.ts [views]
 */
const VIEWS = Number(process.argv[2] ?? 10_000);
const PATHS = ['/login', '/users', '/no-such-page', '/css/app.css'];

function bytes(dir: string): number {
  return ['', '-wal'].reduce((sum, suffix) => {
    const file = path.join(dir, SESSION_DB_FILE + suffix);
    return sum + (fs.existsSync(file) ? fs.statSync(file).size : 0);
  }, 0);
}

function rows(dir: string): number {
  const db = new Database(path.join(dir, SESSION_DB_FILE), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-anon-'));
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dir, LOG_REQUESTS: 'false', LOGIN_PAGE_REQUESTS_PER_MINUTE: '1000000' });
  const db = openDatabase(path.join(dir, 'security.db'));
  migrate(db);
  const sessionStore = await createSessionStore({ dataDir: dir });
  const server = http.createServer(createApp({ config, db, sessionStore, logger: createJsonLogger(() => undefined) }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const before = { rows: rows(dir), bytes: bytes(dir) };
  const statuses = new Map<number, number>();
  for (let i = 0; i < VIEWS; i += 10) {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, j) =>
      fetch(base + PATHS[(i + j) % PATHS.length], { redirect: 'manual' }).then(async (r) => (await r.arrayBuffer(), r.status))));
    for (const s of answers) statuses.set(s, (statuses.get(s) ?? 0) + 1);
  }
  const after = { rows: rows(dir), bytes: bytes(dir) };
  console.log(JSON.stringify({ views: VIEWS, statuses: Object.fromEntries(statuses), sessionRowsAdded: after.rows - before.rows,
    sessionsDbBytesAdded: after.bytes - before.bytes }));
  server.close();
  await sessionStore.close();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

await main();
