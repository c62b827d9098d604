import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { migrate, openDatabase } from '../src/db.js';
import { TEST_JWT_SECRET, TEST_SESSION_SECRET, tempDir } from './helpers.js';
import { runTs } from './process.js';
import { startService, stopService } from './service-process.js';

const SECRETS = { JWT_SECRET_KEY: TEST_JWT_SECRET, SESSION_SECRET: TEST_SESSION_SECRET };

function createDatabase(dir: string): string {
  const file = path.join(dir, 'security.db');
  const db = openDatabase(file);
  migrate(db);
  db.close();
  return file;
}

/** Starts the server expecting a refusal: exit code ≠ 0, one line on stderr, no stack trace. */
async function refusal(env: Record<string, string>, args: string[] = []): Promise<string> {
  const run = await runTs('src/server.ts', args, { SECURITY_PORT: '0', ...env });
  assert.notEqual(run.code, 0, `the server should refuse to start:\n${run.stdout}${run.stderr}`);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${run.stderr}`);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  return lines[0]!;
}

describe('start-up refuses unsafe data, with one line naming the file and the fix', () => {
  test('a corrupt secrets.json', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'secrets.json'), '{"jwtSecret": "abc", "sessionSec');
    const line = await refusal({ DATA_DIR: dir });
    assert.match(line, /secrets\.json is unreadable or corrupt .*restore it from a backup/);
    assert.equal(fs.readFileSync(path.join(dir, 'secrets.json'), 'utf8'), '{"jwtSecret": "abc", "sessionSec', 'left as it was');
  });

  test('a corrupt sessions.db', async () => {
    const dir = tempDir();
    createDatabase(dir);
    fs.writeFileSync(path.join(dir, 'sessions.db'), Buffer.alloc(8192, 7));
    const line = await refusal({ DATA_DIR: dir, ...SECRETS });
    assert.match(line, /sessions\.db is unreadable or corrupt \(SQLITE_NOTADB\): move it aside \(this signs everyone out/);
  });

  test('a missing security.db where the data directory shows one existed, until --init is given', async () => {
    const dir = tempDir();
    createDatabase(dir);
    fs.renameSync(path.join(dir, 'security.db'), path.join(tempDir(), 'elsewhere.db'));
    fs.writeFileSync(path.join(dir, 'secrets.json'), JSON.stringify({ jwtSecret: TEST_JWT_SECRET, sessionSecret: TEST_SESSION_SECRET }));
    const line = await refusal({ DATA_DIR: dir });
    assert.match(line, /security\.db is missing but .* has secrets\.json from an earlier run: restore the latest backup .* or start once with --init/);
    assert.ok(!fs.existsSync(path.join(dir, 'security.db')), 'no database was created');

    const service = await startService({ DATA_DIR: dir }, ['--init']);
    await stopService(service);
    assert.ok(fs.statSync(path.join(dir, 'security.db')).size > 0, '--init begins a new database');
  });

  test('an empty security.db beside an old session store', async () => {
    const dir = tempDir();
    createDatabase(dir);
    fs.writeFileSync(path.join(dir, 'security.db'), '');
    fs.rmSync(path.join(dir, 'security.db-wal'), { force: true });
    const sessions = openDatabase(path.join(dir, 'sessions.db'));
    sessions.close();
    const line = await refusal({ DATA_DIR: dir, ...SECRETS });
    assert.match(line, /security\.db is empty but .* has sessions\.db from an earlier run/);
  });

  test('a damaged security.db', async () => {
    const dir = tempDir();
    const file = createDatabase(dir);
    const bytes = fs.readFileSync(file);
    // Keep the header page, scribble over every page after it.
    bytes.fill(0x5a, 4096 * 2, bytes.length - 4096);
    fs.writeFileSync(file, bytes);
    const line = await refusal({ DATA_DIR: dir, ...SECRETS });
    assert.match(line, /security\.db (fails SQLite's quick_check|is not a usable database).*npm run restore/);
  });

  test('a read-only data directory (a filesystem mounted read-only)', async (t) => {
    const mount = tempDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mount]);
    t.after(() => execFileSync('umount', ['-l', mount]));
    createDatabase(mount);
    execFileSync('mount', ['-o', 'remount,ro', mount]);
    const line = await refusal({ DATA_DIR: mount, ...SECRETS });
    assert.match(line, /is not writable \(EROFS\): make it writable by this user \(or remount its filesystem read-write\)/);
  });

  test('a second service on the same data directory, while the first runs; the first keeps its lock, so restore still refuses', async () => {
    const dir = tempDir();
    const first = await startService({ DATA_DIR: dir, ...SECRETS });
    try {
      const line = await refusal({ DATA_DIR: dir, ...SECRETS });
      assert.match(line, /service\.pid: another service \(pid \d+\) is running on this data directory; stop it first/);
      assert.equal(fs.readFileSync(path.join(dir, 'service.pid'), 'utf8').trim(), String(first.child.pid));
      const restore = await runTs('scripts/restore.ts', [path.join(dir, 'backups', 'none')], { DATA_DIR: dir, ...SECRETS });
      assert.match(restore.stderr, /restore refused: the service is running on this data directory/);
    } finally {
      await stopService(first);
    }
  });

  test('an operator script run before the first start writes nothing, and the first start then needs no --init', async () => {
    const dir = tempDir();
    const check = await runTs('scripts/check.ts', [], { DATA_DIR: dir });
    assert.equal(check.code, 1);
    assert.deepEqual(fs.readdirSync(dir), [], 'no secrets.json made up by a script');
    const service = await startService({ DATA_DIR: dir });
    await stopService(service);
  });

  test('a first start needs no --init: on a data directory not made yet, or made empty, with secrets generated on the way', async () => {
    for (const dir of [path.join(tempDir(), 'new'), tempDir()]) {
      const service = await startService({ DATA_DIR: dir });
      await stopService(service);
      assert.ok(fs.existsSync(path.join(dir, 'security.db')));
      assert.ok(fs.existsSync(path.join(dir, 'secrets.json')));
    }
  });
});
