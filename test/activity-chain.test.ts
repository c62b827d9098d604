import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import request from 'supertest';
import { loadConfig } from '../src/config.js';
import { deriveChainKey } from '../src/config-secrets.js';
import { migrate, openDatabase, readMigrations, type Db } from '../src/db.js';
import { systemClock } from '../src/clock.js';
import { createChainMacs, GENESIS_HASH, hashRow } from '../src/features/activity/activity.chain.js';
import { createActivityLog } from '../src/features/activity/activity-log.service.js';
import { firstChainProblem } from '../src/features/activity/activity.service.js';
import { count, insertUser, makeTestApp, tempDir, type TestContext } from './helpers.js';
import { runTs } from './process.js';

const SECRET = crypto.randomBytes(48).toString('base64url');
const verify = (dir: string, secret = SECRET) => runTs('scripts/audit-verify.ts', [], { DATA_DIR: dir, SESSION_SECRET: secret });
const apiLogin = (ctx: TestContext, username: string, password: string) =>
  request(ctx.app).post('/auth/login').send({ username, password });
const rows = (db: Db) => count(db, 'SELECT count(*) AS n FROM activity_log');
/** A second connection to the file, as someone with file access but not the secret has. */
const raw = (dir: string) => new Database(path.join(dir, 'security.db'));

async function withActivity(n: number) {
  const ctx = await makeTestApp({ SESSION_SECRET: SECRET, ACTIVITY_RETENTION_DAYS: '30' });
  const user = await insertUser(ctx.db, { role: 'worker' });
  for (let i = 0; i < n; i += 1) await apiLogin(ctx, user.username, i % 2 ? user.password : 'bad password');
  return { ctx, user };
}

describe('the keyed activity chain', () => {
  let ctx: TestContext;
  before(async () => {
    ({ ctx } = await withActivity(6));
  });
  after(() => ctx.close());

  test('the app cannot update or delete rows or checkpoints; audit:verify passes on an untouched log', async () => {
    const before = JSON.stringify(ctx.db.prepare('SELECT * FROM activity_log').all());
    assert.throws(() => ctx.db.prepare("UPDATE activity_log SET outcome = 'success'").run(), /append-only/);
    assert.throws(() => ctx.db.prepare('DELETE FROM activity_log').run(), /retention/);
    assert.throws(() => ctx.db.prepare('DELETE FROM activity_chain_seal').run(), /written once/);
    assert.equal(JSON.stringify(ctx.db.prepare('SELECT * FROM activity_log').all()), before);
    const ok = await verify(ctx.dir);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /activity log verified: \d+ rows, chain intact\n$/);
  });

  test('a different SESSION_SECRET fails with a message saying so, not blaming a row', async () => {
    const other = await verify(ctx.dir, crypto.randomBytes(48).toString('base64url'));
    assert.equal(other.code, 1);
    assert.equal(other.stderr, 'activity log: seal does not verify: was made with a different SESSION_SECRET: run with the secret the service writes with\n');
  });
});

describe('attacks by someone with the database file but not the secret', () => {
  test('deleting the first rows behind a forged checkpoint fails, naming the checkpoint', async () => {
    const { ctx } = await withActivity(6);
    try {
      const [, second, third] = ctx.db.prepare('SELECT id, hash FROM activity_log ORDER BY id').all() as Array<{ id: number; hash: string }>;
      const file = raw(ctx.dir);
      // A MAC under a guessed key is as good as none: only SESSION_SECRET gives the real one.
      const forged = { id: 1, at: new Date().toISOString(), up_to_id: second!.id, last_hash: second!.hash, removed: 2 };
      const guessed = createChainMacs(deriveChainKey('not the secret'));
      file.prepare('INSERT INTO activity_checkpoints (id, at, up_to_id, last_hash, removed, mac) VALUES (@id, @at, @up_to_id, @last_hash, @removed, @mac)')
        .run({ ...forged, mac: guessed.checkpoint(forged) });
      file.exec('DROP TRIGGER activity_log_no_delete');
      file.prepare('DELETE FROM activity_log WHERE id <= ?').run(second!.id);
      file.close();
      assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM activity_log WHERE id < ?', third!.id), 0, 'the rows are gone');
      const bad = await verify(ctx.dir);
      assert.equal(bad.code, 1);
      assert.equal(bad.stderr, 'activity log: checkpoint 1 does not verify: is not signed with the chain key (rows may have been deleted behind it)\n');
    } finally {
      await ctx.close();
    }
  });

  test('editing a row and recomputing its SHA-256 fails, naming the row', async () => {
    const { ctx } = await withActivity(4);
    try {
      const target = ctx.db.prepare("SELECT * FROM activity_log WHERE outcome = 'failure' ORDER BY id LIMIT 1").get() as Record<string, unknown>;
      const edited = { ...target, outcome: 'success' } as Parameters<typeof hashRow>[0];
      const file = raw(ctx.dir);
      file.exec('DROP TRIGGER activity_log_no_update');
      file.prepare("UPDATE activity_log SET outcome = 'success', hash = ? WHERE id = ?").run(hashRow(edited), target.id);
      file.close();
      assert.deepEqual(ctx.services.activity.verifyChain(), { where: `row ${String(target.id)}`, reason: 'its content does not match its hash' });
      const bad = await verify(ctx.dir);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, new RegExp(`^activity log: row ${String(target.id)} does not verify`));
    } finally {
      await ctx.close();
    }
  });

  test('deleting the seal fails verification', async () => {
    const { ctx } = await withActivity(2);
    try {
      const file = raw(ctx.dir);
      file.exec('DROP TRIGGER activity_chain_seal_no_delete; DELETE FROM activity_chain_seal');
      file.close();
      assert.equal(ctx.services.activity.verifyChain()?.where, 'seal');
    } finally {
      await ctx.close();
    }
  });
});

describe('retention and concurrency', () => {
  test('a normal retention leaves a signed checkpoint; the chain verifies and continues', async () => {
    const { ctx, user } = await withActivity(3);
    try {
      ctx.clock.now += 31 * 86_400_000;
      await apiLogin(ctx, user.username, user.password);
      assert.equal(ctx.services.activity.applyRetention(), 3);
      assert.equal(rows(ctx.db), 1);
      const checkpoint = ctx.db.prepare('SELECT removed, mac FROM activity_checkpoints').get() as { removed: number; mac: string };
      assert.equal(checkpoint.removed, 3);
      assert.match(checkpoint.mac, /^[0-9a-f]{64}$/);
      assert.throws(() => ctx.db.prepare('DELETE FROM activity_checkpoints').run(), /append-only/);
      assert.throws(() => ctx.db.prepare('UPDATE activity_checkpoints SET removed = 0').run(), /append-only/);
      await apiLogin(ctx, user.username, 'wrong again');
      assert.equal(ctx.services.activity.verifyChain(), null);
      const ok = await verify(ctx.dir);
      assert.equal(ok.code, 0, ok.stderr);
    } finally {
      await ctx.close();
    }
  });

  test('30 actions at once on both connections, on a fresh log, give one seal and an intact chain', async () => {
    const ctx = await makeTestApp({ SESSION_SECRET: SECRET, TRUST_PROXY: '1' });
    try {
      const user = await insertUser(ctx.db, { role: 'worker' });
      const token = (await apiLogin(ctx, user.username, user.password)).body.access_token as string;
      const before = rows(ctx.db);
      const sync = (i: number) => request(ctx.app).post('/api/contacts/sync').set('Authorization', `Bearer ${token}`)
        .send({ contacts: [{ phone: `+3460000${String(i).padStart(4, '0')}` }] });
      // Syncs write through the data connection, refusals through the security one.
      const denied = () => request(ctx.app).get('/api/activity').set('Authorization', `Bearer ${token}`);
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? sync(i) : denied())));
      assert.deepEqual(results.map((r) => r.status).sort(), [...Array(15).fill(200), ...Array(15).fill(403)].sort());
      assert.equal(rows(ctx.db), before + 30);
      assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM activity_chain_seal WHERE keyed_from_id = 1'), 1);
      assert.equal(ctx.services.activity.verifyChain(), null);
    } finally {
      await ctx.close();
    }
  });
});

describe('rotating SESSION_SECRET', () => {
  test('--rekey re-signs the chain under the new secret only after it verifies under the previous one', async () => {
    const { ctx, user } = await withActivity(3);
    try {
      ctx.clock.now += 31 * 86_400_000;
      await apiLogin(ctx, user.username, user.password);
      ctx.services.activity.applyRetention();
      await apiLogin(ctx, user.username, 'after retention');
      const next = crypto.randomBytes(48).toString('base64url');
      const snapshot = () => JSON.stringify([ctx.db.prepare('SELECT * FROM activity_log').all(), ctx.db.prepare('SELECT * FROM activity_checkpoints').all(),
        ctx.db.prepare('SELECT * FROM activity_chain_seal').all()]);
      const untouched = snapshot();
      const wrong = await runTs('scripts/audit-verify.ts', ['--rekey'], { DATA_DIR: ctx.dir, SESSION_SECRET: next }, 'not the previous secret\n');
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /^activity log: seal does not verify under the previous secret: was made with a different SESSION_SECRET/);
      assert.equal(snapshot(), untouched, 'nothing was re-signed');

      const ok = await runTs('scripts/audit-verify.ts', ['--rekey'], { DATA_DIR: ctx.dir, SESSION_SECRET: next }, SECRET + '\n');
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /^activity log re-keyed and verified: 2 rows, chain intact/);
      assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM activity_log'), 2);
      assert.equal((await verify(ctx.dir, next)).code, 0);
      assert.match((await verify(ctx.dir)).stderr, /different SESSION_SECRET/);
      assert.throws(() => ctx.db.prepare("UPDATE activity_log SET outcome = 'success'").run(), /append-only/, 'the guards are back');
    } finally {
      await ctx.close();
    }
  });
});

/** A database as it was before migration 007: unkeyed rows, one unkeyed checkpoint. */
function legacyDatabase(dir: string): Db {
  const db = openDatabase(path.join(dir, 'security.db'));
  migrate(db, readMigrations().filter((m) => m.version < 7));
  const insert = db.prepare(`INSERT INTO activity_log (at, user_id, username, login_ref, action, target_type, target_id, ip, user_agent, outcome, detail, prev_hash, hash)
    VALUES (@at, @user_id, @username, @login_ref, @action, @target_type, @target_id, @ip, @user_agent, @outcome, @detail, @prev_hash, @hash)`);
  let previous = GENESIS_HASH;
  for (let i = 0; i < 6; i += 1) {
    const row = { at: new Date(Date.UTC(2025, 0, 1 + i)).toISOString(), user_id: null, username: `old${i}`, login_ref: null, action: 'login',
      target_type: null, target_id: null, ip: '192.0.2.1', user_agent: null, outcome: 'failure' as const, detail: null, prev_hash: previous };
    previous = hashRow(row);
    insert.run({ ...row, hash: previous });
  }
  const first = db.prepare('SELECT id, hash FROM activity_log ORDER BY id LIMIT 1').get() as { id: number; hash: string };
  db.prepare("INSERT INTO activity_checkpoints (at, up_to_id, last_hash, removed) VALUES ('2025-02-01T00:00:00.000Z', ?, ?, 1)").run(first.id, first.hash);
  db.prepare('DELETE FROM activity_log WHERE id = ?').run(first.id);
  migrate(db);
  return db;
}

describe('rows written before the chain was keyed', () => {
  const settings = () => loadConfig({ NODE_ENV: 'test', DATA_DIR: tempDir(), SESSION_SECRET: SECRET }).activity;

  test('are sealed at the first keyed write and verify; rewriting them consistently still fails', () => {
    const dir = tempDir();
    const db = legacyDatabase(dir);
    const config = settings();
    const activityLog = createActivityLog({ db, settings: config, clock: systemClock });
    const repo = { firstProblem: () => firstChainProblem(db, config.chainKey) };
    assert.equal(repo.firstProblem()?.where, 'seal', 'unsealed legacy rows do not pass as verified');
    activityLog.append({ action: 'login', outcome: 'success', username: 'new' });
    const seal = db.prepare('SELECT keyed_from_id, legacy_rows, legacy_checkpoint_id FROM activity_chain_seal').get();
    assert.deepEqual(seal, { keyed_from_id: 7, legacy_rows: 5, legacy_checkpoint_id: 1 });
    assert.equal(count(db, 'SELECT count(*) AS n FROM activity_checkpoints WHERE mac IS NOT NULL'), 1, 'the old checkpoint is re-issued signed');
    assert.equal(repo.firstProblem(), null);

    // Rewrite every legacy row and re-chain them with SHA-256, then cut the keyed row off.
    const file = raw(dir);
    file.exec('DROP TRIGGER activity_log_no_update; DROP TRIGGER activity_log_no_delete');
    file.prepare('DELETE FROM activity_log WHERE id >= 7').run();
    let previous = (file.prepare('SELECT last_hash FROM activity_checkpoints ORDER BY id DESC LIMIT 1').pluck().get()) as string;
    for (const row of file.prepare('SELECT * FROM activity_log ORDER BY id').all() as Array<Parameters<typeof hashRow>[0] & { id: number }>) {
      const { id, ...content } = { ...row, outcome: 'success' as const, prev_hash: previous };
      previous = hashRow(content);
      file.prepare("UPDATE activity_log SET outcome = 'success', prev_hash = ?, hash = ? WHERE id = ?").run(content.prev_hash, previous, id);
    }
    file.close();
    assert.deepEqual(repo.firstProblem(), { where: 'seal', reason: 'the rows before the seal do not end where it says (removed or rewritten)' });
    db.close();
  });
});
