import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import request from 'supertest';
import express from 'express';
import { loadConfig } from '../src/config.js';
import { migrate, openDatabase, truncateWal } from '../src/db.js';
import { createIdleTracker } from '../src/http/idle-tracker.js';
import { tempDir } from './helpers.js';

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
    const idle = createIdleTracker(() => clock.now);
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
