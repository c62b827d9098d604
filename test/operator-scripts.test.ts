import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import request from 'supertest';
import { migrate, openDatabase } from '../src/db.js';
import { recordFailure } from '../src/features/backups/backup.status.js';
import { insertUser, makeTestApp, signIn, tempDir, TEST_JWT_SECRET, TEST_SESSION_SECRET } from './helpers.js';
import { runTs } from './process.js';
import { sha256, startService, stopService } from './service-process.js';

const SECRETS = { JWT_SECRET_KEY: TEST_JWT_SECRET, SESSION_SECRET: TEST_SESSION_SECRET };

/** A data directory whose database the running service wrote (owner created, chain sealed), closed cleanly. */
async function servedDataDir(): Promise<string> {
  const dir = tempDir();
  await stopService(await startService({ DATA_DIR: dir, ...SECRETS, BACKUP_INTERVAL_HOURS: '0' }));
  return dir;
}

// The database file itself, and the size of any -wal: a read-only connection may create the
// shared-memory index and an empty -wal beside a WAL database, but writes nothing into either.
const liveFiles = (dir: string) => {
  const wal = path.join(dir, 'security.db-wal');
  return { db: sha256(path.join(dir, 'security.db')), walBytes: fs.existsSync(wal) ? fs.statSync(wal).size : 0 };
};

describe('operator scripts', () => {
  test('backup, backup:verify, check and audit:verify leave the live database byte-identical', async () => {
    const dir = await servedDataDir();
    const before = liveFiles(dir);
    const env = { DATA_DIR: dir, ...SECRETS };
    const backup = await runTs('scripts/backup.ts', [], env);
    assert.equal(backup.code, 0, backup.stderr);
    const folder = path.join(dir, 'backups', fs.readdirSync(path.join(dir, 'backups')).find((n) => n.startsWith('backup-'))!);
    for (const [script, args] of [['scripts/backup-verify.ts', [folder]], ['scripts/check.ts', []], ['scripts/audit-verify.ts', []]] as const) {
      const run = await runTs(script, [...args], env);
      assert.equal(run.code, 0, `${script}: ${run.stderr}`);
    }
    assert.deepEqual(liveFiles(dir), before);
  });

  test('scripts that only look refuse a database with a pending migration and do not migrate it', async () => {
    const dir = await servedDataDir();
    const db = new Database(path.join(dir, 'security.db'));
    db.prepare('DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)').run();
    db.close();
    const before = liveFiles(dir);
    for (const script of ['scripts/backup.ts', 'scripts/check.ts', 'scripts/audit-verify.ts']) {
      const run = await runTs(script, [], { DATA_DIR: dir, ...SECRETS });
      assert.equal(run.code, 1, script);
      assert.match(run.stderr, /1 migration\(s\) pending \(\d{3}_\w+\.sql\); run npm run migrate/, script);
    }
    assert.deepEqual(liveFiles(dir), before);
    assert.equal(fs.existsSync(path.join(dir, 'backups')), false, 'no backup was started');
  });

  test('check exits 0 on a sound database, 1 on a broken activity chain and 1 on a corrupted file', async () => {
    const dir = await servedDataDir();
    const env = { DATA_DIR: dir, ...SECRETS };
    const good = await runTs('scripts/check.ts', [], env);
    assert.equal(good.code, 0, good.stderr);
    assert.equal(good.stdout, 'check ok: integrity ok, foreign keys ok, activity chain intact\n');

    const chained = new Database(path.join(dir, 'security.db'));
    // The attacker removes the append-only triggers first, as anyone with the file could.
    for (const name of chained.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'activity_log'").pluck().all()) {
      chained.exec(`DROP TRIGGER "${String(name)}"`);
    }
    chained.prepare("UPDATE activity_log SET username = 'someone else' WHERE id = (SELECT min(id) FROM activity_log)").run();
    chained.close();
    const broken = await runTs('scripts/check.ts', [], env);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /^check: activity log: .* does not verify/m);

    const other = await servedDataDir();
    const file = path.join(other, 'security.db');
    const bytes = fs.readFileSync(file);
    // Overwrite the second page onwards (table b-trees) with noise, keeping the header readable.
    bytes.fill(0x5a, 4096, Math.min(bytes.length, 4096 * 6));
    fs.writeFileSync(file, bytes);
    const corrupt = await runTs('scripts/check.ts', [], { DATA_DIR: other, ...SECRETS });
    assert.equal(corrupt.code, 1);
    assert.match(corrupt.stderr, /check: |malformed|corrupt/i);
  });

  test('scheduled backups appear in status.json while the service keeps answering', async () => {
    const dir = tempDir();
    const service = await startService({ DATA_DIR: dir, ...SECRETS, BACKUP_INTERVAL_HOURS: '0.0005', BACKUP_KEEP: '2' });
    try {
      const status = path.join(dir, 'backups', 'status.json');
      while (!fs.existsSync(status) || fs.readdirSync(path.join(dir, 'backups')).filter((n) => n.startsWith('backup-')).length < 2) {
        assert.equal((await fetch(`${service.url}/health`)).status, 200);
        if (fs.existsSync(status)) assert.equal(JSON.parse(fs.readFileSync(status, 'utf8')).lastError, null);
        await new Promise((r) => setTimeout(r, 200));
      }
      const recorded = JSON.parse(fs.readFileSync(status, 'utf8'));
      assert.match(recorded.lastSuccessName, /^backup-/);
      assert.equal(recorded.lastFailureAt, null);
      assert.match(service.output(), /"msg":"backup made"/);
      const verified = await runTs('scripts/backup-verify.ts', [path.join(dir, 'backups', recorded.lastSuccessName)], {});
      assert.equal(verified.code, 0, verified.stderr);
    } finally {
      await stopService(service);
    }
  });

  test('the dashboard shows the last backup to an admin, warns when the last one failed, and shows nothing to a manager', async () => {
    const backupDir = path.join(tempDir(), 'backups');
    const ctx = await makeTestApp({ BACKUP_DIR: backupDir, BACKUP_INTERVAL_HOURS: '24' });
    try {
      const data = openDatabase(path.join(ctx.dir, 'security.db'));
      migrate(data);
      data.close();
      const admin = await insertUser(ctx.db, { role: 'admin' });
      const manager = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
      const adminAgent = request.agent(ctx.app);
      await signIn(adminAgent, admin.username, admin.password);
      const fresh = await adminAgent.get('/dashboard');
      assert.match(fresh.text, /No backup yet: the service makes the first one a minute after it starts\./);
      assert.doesNotMatch(fresh.text, /backup-warning|role="alert"/, 'a fresh install is not an alarm');

      const { createBackup } = await import('../src/features/backups/backup.create.js');
      const made = createBackup({ dataDir: ctx.dir, backupDir, keep: 3, secrets: { jwtSecret: TEST_JWT_SECRET, sessionSecret: TEST_SESSION_SECRET } });
      const page = await adminAgent.get('/dashboard');
      assert.match(page.text, /<h2 id="backups-heading">Backups<\/h2>/);
      assert.ok(page.text.includes(made.name));
      assert.doesNotMatch(page.text, /The last backup failed/);

      recordFailure(backupDir, new Date(Date.now() + 1000), 'disk full');
      const warned = await adminAgent.get('/dashboard');
      assert.match(warned.text, /class="backup-status backup-warning"/);
      assert.match(warned.text, /The last backup failed\./);
      assert.match(warned.text, /disk full/);

      const managerAgent = request.agent(ctx.app);
      await signIn(managerAgent, manager.username, manager.password);
      const theirs = await managerAgent.get('/dashboard');
      assert.equal(theirs.status, 200);
      assert.doesNotMatch(theirs.text, /Backups|backup-/);
    } finally {
      await ctx.close();
    }
  });
});
