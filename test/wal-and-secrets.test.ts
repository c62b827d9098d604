import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import request from 'supertest';
import express from 'express';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createJsonLogger } from '../src/http/logger.js';
import { createSessionStore } from '../src/http/session.js';
import { migrate, openDatabase, truncateWal } from '../src/db.js';
import { createIdleTracker } from '../src/http/idle-tracker.js';
import { TEST_JWT_SECRET, TEST_SESSION_SECRET, tempDir } from './helpers.js';

describe('the WAL stays bounded', () => {
  test('a burst of writes leaves a WAL that the idle checkpoint truncates to zero bytes', () => {
    const dir = tempDir();
    const file = path.join(dir, 'security.db');
    const db = openDatabase(file);
    migrate(db);
    assert.equal(db.pragma('journal_size_limit', { simple: true }), 64 * 1024 * 1024);
    db.exec('CREATE TABLE burst (body TEXT)');
    const insert = db.prepare('INSERT INTO burst (body) VALUES (?)');
    for (let i = 0; i < 500; i++) insert.run('x'.repeat(4000));
    assert.ok(fs.statSync(`${file}-wal`).size > 1024 * 1024, 'the burst grew the WAL');
    const result = truncateWal(db);
    assert.deepEqual(result, { busy: false, walPages: 0 });
    assert.equal(fs.statSync(`${file}-wal`).size, 0);
    db.close();
  });

  test('the checkpoint never waits for a reader that needs the WAL: it reports busy and returns at once', () => {
    const dir = tempDir();
    const file = path.join(dir, 'security.db');
    const db = openDatabase(file);
    migrate(db);
    db.exec('CREATE TABLE burst (body TEXT)');
    const reader = openDatabase(file);
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM users').get();
    db.prepare('INSERT INTO burst (body) VALUES (?)').run('x');
    assert.equal(truncateWal(db).busy, true);
    assert.equal(db.pragma('busy_timeout', { simple: true }), 5000, 'the usual busy timeout is back');
    reader.exec('COMMIT');
    assert.equal(truncateWal(db).busy, false);
    reader.close();
    db.close();
  });

  test('the service counts as idle only with no request in flight and none for the quiet period', async () => {
    const clock = { now: 1_000_000 };
    const idle = createIdleTracker({ clock: () => clock.now });
    let release: () => void = () => undefined;
    const app = express();
    app.use(idle.track);
    app.get('/slow', (_req, res) => {
      release = () => res.send('done');
    });
    const pending = request(app).get('/slow').then((r) => r.status);
    while (idle.idleFor(0)) await new Promise((r) => setTimeout(r, 5));
    clock.now += 60_000;
    assert.equal(idle.idleFor(5000), false, 'a request in flight');
    release();
    assert.equal(await pending, 200);
    assert.equal(idle.idleFor(5000), false, 'just finished');
    clock.now += 5000;
    assert.equal(idle.idleFor(5000), true);
  });
  test('a load balancer polling /ready, /health and /metrics does not keep the service from looking idle; any other request does', async () => {
    const dir = tempDir();
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dir, JWT_SECRET_KEY: TEST_JWT_SECRET, SESSION_SECRET: TEST_SESSION_SECRET });
    const db = openDatabase(path.join(dir, 'security.db'));
    migrate(db);
    const sessionStore = await createSessionStore({ dataDir: dir });
    const clock = { now: 1_000_000 };
    const idle = createIdleTracker({ clock: () => clock.now });
    const app = createApp({ config, db, sessionStore, logger: createJsonLogger(() => undefined), idle });
    clock.now += 60_000;
    assert.equal((await request(app).get('/ready')).status, 200);
    assert.equal((await request(app).get('/health')).status, 200);
    await request(app).get('/metrics');
    assert.equal(idle.idleFor(5000), true, 'probes are not activity');
    await request(app).get('/login');
    assert.equal(idle.idleFor(5000), false, 'a page view is');
    await sessionStore.close();
    db.close();
  });
});

describe('secrets.json', () => {
  test('is completed atomically, keeping the stored secret, and a leftover temporary file is ignored', () => {
    const dir = tempDir();
    const file = path.join(dir, 'secrets.json');
    fs.writeFileSync(file, JSON.stringify({ jwtSecret: 'kept-jwt-secret-value-0123456789abcdef' }));
    fs.writeFileSync(path.join(dir, '.secrets.json.4242.tmp'), '{"jwtSecret": "half-writ');
    const config = loadConfig({ NODE_ENV: 'development', DATA_DIR: dir });
    assert.equal(config.jwtSecret, 'kept-jwt-secret-value-0123456789abcdef');
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    assert.equal(stored.jwtSecret, 'kept-jwt-secret-value-0123456789abcdef');
    assert.equal(stored.sessionSecret, config.sessionSecret);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp') && !f.includes('4242')), [], 'no temporary file of ours is left');
  });
});

describe('secrets.json write cut short', () => {
  test('a write that fails part-way (file size limit, like a crash) leaves the previous secrets.json byte for byte and no temporary file', async () => {
    const { spawn } = await import('node:child_process');
    const { ROOT } = await import('./process.js');
    const dir = tempDir();
    const file = path.join(dir, 'secrets.json');
    const before = JSON.stringify({ jwtSecret: 'kept-from-an-older-release-6a1f0c9e2b7d4e8f' });
    fs.writeFileSync(file, before, { mode: 0o600 });
    // Past 100 bytes every write fails with EFBIG: a plain writeFileSync would leave 100 bytes of JSON.
    const child = spawn('prlimit', ['--fsize=100', process.execPath, '--import', 'tsx', path.join(ROOT, 'src/server.ts')], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', DATA_DIR: dir, SECURITY_PORT: '0' },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.notEqual(code, 0);
    assert.match(stderr, /secrets\.json cannot be written \(EFBIG\): make the data directory writable/);
    assert.equal(fs.readFileSync(file, 'utf8'), before);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  });
});

describe('maintenance jobs', () => {
  test('a job with firstAfterMs runs that soon after start, then on its interval; stop ends both timers', async () => {
    const { startJobs } = await import('../src/jobs.js');
    let runs = 0;
    const jobs = startJobs([{ name: 'soon', everyMs: 60_000, firstAfterMs: 20, run: () => void runs++ }], createJsonLogger(() => undefined));
    await new Promise((r) => setTimeout(r, 200));
    jobs.stop();
    assert.equal(runs, 1, 'ran once, soon after start, not waiting a whole interval');
  });
});
