import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { migrate, openDatabase } from '../src/db.js';
import { createBackup, listBackups } from '../src/features/backups/backup.create.js';
import { readBackupStatus } from '../src/features/backups/backup.status.js';
import { tempDir, TEST_JWT_SECRET, TEST_SESSION_SECRET } from './helpers.js';
import { ROOT, runTs } from './process.js';
import { sha256, startService, stopService } from './service-process.js';

const SECRETS = { JWT_SECRET_KEY: TEST_JWT_SECRET, SESSION_SECRET: TEST_SESSION_SECRET };
const secrets = { jwtSecret: TEST_JWT_SECRET, sessionSecret: TEST_SESSION_SECRET };

/** A migrated data directory with `rows` message logs (about 100 bytes each), closed. */
function dataDir(rows = 0): string {
  const dir = tempDir();
  const db = openDatabase(path.join(dir, 'security.db'), { synchronous: 'NORMAL' });
  migrate(db);
  db.prepare('INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES (\'sender\', \'$argon2id$fixture\', \'worker\', \'2026-01-01\', \'2026-01-01\')').run();
  const add = db.prepare('INSERT INTO message_logs (sender_id, recipient_phone, message_content, status, sent_at) VALUES (1, \'+34600000000\', ?, \'sent\', \'2026-01-01T00:00:00.000Z\')');
  db.transaction(() => { for (let i = 0; i < rows; i += 1) add.run(`message ${i} `.padEnd(100, 'x')); })();
  db.close();
  return dir;
}

/** Writes one row at a time on its own connection until stopped; counts what it wrote. */
function startWriter(file: string) {
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  const add = db.prepare('INSERT INTO message_logs (sender_id, recipient_phone, status, sent_at) VALUES (1, \'+34600000001\', \'sent\', ?)');
  let running = true;
  let written = 0;
  const done = (async () => {
    while (running) {
      add.run(new Date().toISOString());
      written += 1;
      await new Promise((r) => setImmediate(r));
    }
    db.close();
  })();
  return { written: () => written, stop: async () => { running = false; await done; } };
}

const backupNamed = (dir: string) => path.join(dir, 'backups', listBackups(path.join(dir, 'backups'))[0]!);

describe('backups', () => {
  test('a backup completes while the server runs and another connection writes continuously, and the copy verifies', async () => {
    const dir = dataDir(20_000);
    const env = { DATA_DIR: dir, ...SECRETS, BACKUP_INTERVAL_HOURS: '0' };
    const service = await startService(env);
    const writer = startWriter(path.join(dir, 'security.db'));
    try {
      const before = writer.written();
      const made = await runTs('scripts/backup.ts', [], env);
      const during = writer.written() - before;
      assert.equal(made.code, 0, made.stderr);
      assert.match(made.stdout, /backup written to .*backup-\d{4}-/);
      assert.ok(during > 0, 'the writer kept committing while the backup ran');
      const verified = await runTs('scripts/backup-verify.ts', [backupNamed(dir)], {});
      assert.equal(verified.code, 0, verified.stderr);
      assert.match(verified.stdout, /^backup ok: /);
      const copy = new Database(path.join(backupNamed(dir), 'security.db'), { readonly: true });
      assert.ok((copy.prepare('SELECT count(*) FROM message_logs').pluck().get() as number) >= 20_000);
      assert.equal(copy.pragma('journal_mode', { simple: true }), 'delete', 'the copy opens alone, without a -wal');
      copy.close();
      assert.deepEqual(fs.readdirSync(backupNamed(dir)).sort(), ['manifest.json', 'security.db']);
    } finally {
      await writer.stop();
      await stopService(service);
    }
  });

  test('a backup killed with SIGKILL mid-way leaves nothing that lists or verifies as a backup, and the next run removes it', async () => {
    const dir = dataDir(400_000);
    const backups = path.join(dir, 'backups');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/backup.ts')], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', DATA_DIR: dir, ...SECRETS } });
    const exited = new Promise((resolve) => child.on('close', resolve));
    const partial = () => (fs.existsSync(backups) ? fs.readdirSync(backups).find((n) => n.endsWith('.tmp')) : undefined);
    while (!partial() && child.exitCode === null) await new Promise((r) => setTimeout(r, 2));
    child.kill('SIGKILL');
    await exited;
    const left = partial();
    assert.ok(left, 'the run was killed while it was writing its temporary folder');
    assert.deepEqual(listBackups(backups), []);
    const verified = await runTs('scripts/backup-verify.ts', [path.join(backups, left)], {});
    assert.equal(verified.code, 1);
    const next = await runTs('scripts/backup.ts', [], { DATA_DIR: dir, ...SECRETS });
    assert.equal(next.code, 0, next.stderr);
    assert.equal(partial(), undefined, 'the next run removed the abandoned temporary folder');
    assert.equal(listBackups(backups).length, 1);
  });

  test('backup:verify rejects a tampered file, a truncated database and a wrong manifest, each with its own line', async () => {
    const dir = dataDir(2_000);
    const made = createBackup({ dataDir: dir, backupDir: path.join(dir, 'backups'), keep: 10, secrets });
    const variant = (name: string, change: (folder: string) => void) => {
      const folder = path.join(dir, name);
      fs.cpSync(made.path, folder, { recursive: true });
      change(folder);
      return runTs('scripts/backup-verify.ts', [folder], {});
    };
    const db = (folder: string) => path.join(folder, 'security.db');
    const manifest = (folder: string) => JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8'));
    const writeManifest = (folder: string, m: unknown) => fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(m));

    const tampered = await variant('tampered', (f) => {
      const bytes = fs.readFileSync(db(f));
      bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
      fs.writeFileSync(db(f), bytes);
    });
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /security\.db: SHA-256 differs from the manifest/);

    const truncated = await variant('truncated', (f) => fs.truncateSync(db(f), 8192));
    assert.equal(truncated.code, 1);
    assert.match(truncated.stderr, /security\.db: 8192 bytes, the manifest says \d+/);

    // Truncated and the manifest rewritten to match: only SQLite's own check can tell.
    const rehashed = await variant('rehashed', (f) => {
      fs.truncateSync(db(f), 8192);
      const m = manifest(f);
      m.files['security.db'] = { bytes: 8192, sha256: sha256(db(f)) };
      writeManifest(f, m);
    });
    assert.equal(rehashed.code, 1);
    assert.match(rehashed.stderr, /security\.db: (does not open as a database|.*(malformed|corrupt|Page|never used|missing))/i);

    const wrongSchema = await variant('wrong-schema', (f) => writeManifest(f, { ...manifest(f), schemaVersion: 99 }));
    assert.equal(wrongSchema.code, 1);
    assert.match(wrongSchema.stderr, /security\.db: schema version \d+, the manifest says 99/);

    const garbage = await variant('garbage', (f) => fs.writeFileSync(path.join(f, 'manifest.json'), '{"format": 1, "createdAt": "yesterday"'));
    assert.equal(garbage.code, 1);
    assert.match(garbage.stderr, /manifest\.json: not valid JSON/);

    const extra = await variant('extra', (f) => fs.writeFileSync(path.join(f, 'notes.txt'), 'x'));
    assert.equal(extra.code, 1);
    assert.match(extra.stderr, /notes\.txt: not listed in the manifest/);
  });

  test('rotation keeps the newest BACKUP_KEEP backups and a success is recorded in status.json', () => {
    const dir = dataDir();
    const backupDir = path.join(dir, 'backups');
    const names: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      names.push(createBackup({ dataDir: dir, backupDir, keep: 2, secrets }, () => Date.UTC(2026, 0, 1, 0, 0, i)).name);
    }
    assert.deepEqual(listBackups(backupDir), [names[3], names[2]]);
    assert.equal(readBackupStatus(backupDir).lastSuccessName, names[3]);
  });

  test('a failed backup is recorded as the last failure with a one-line reason that names no path', () => {
    const dir = tempDir();
    const backupDir = path.join(tempDir(), 'backups');
    assert.throws(() => createBackup({ dataDir: dir, backupDir, keep: 2, secrets }));
    const status = readBackupStatus(backupDir);
    assert.ok(status.lastFailureAt);
    assert.equal(status.lastSuccessAt, null);
    assert.doesNotMatch(status.lastError ?? '', new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.deepEqual(listBackups(backupDir), []);
  });
});
