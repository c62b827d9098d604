import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { listBackups } from '../src/features/backups/backup.create.js';
import { tempDir, TEST_JWT_SECRET, TEST_SESSION_SECRET } from './helpers.js';
import { ROOT, runTs } from './process.js';
import { apiLogin, OWNER, panelLogin, sha256, startService, stopService } from './service-process.js';

const SECRETS = { JWT_SECRET_KEY: TEST_JWT_SECRET, SESSION_SECRET: TEST_SESSION_SECRET, BACKUP_INTERVAL_HOURS: '0' };
const WORKER_PASSWORD = 'worker passphrase for tests 2026';

async function api(url: string, token: string, method: string, route: string, body?: unknown) {
  const res = await fetch(`${url}${route}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function backupNow(dir: string): Promise<string> {
  const made = await runTs('scripts/backup.ts', [], { DATA_DIR: dir, ...SECRETS });
  assert.equal(made.code, 0, made.stderr);
  return path.join(dir, 'backups', listBackups(path.join(dir, 'backups'))[0]!);
}

const users = (file: string) => {
  const db = new Database(file, { readonly: true });
  const rows = db.prepare('SELECT id, username, role, is_active FROM users ORDER BY id').all();
  db.close();
  return rows;
};

describe('restore', () => {
  test('restore refuses while the service runs on the data directory, and not for the lock of a killed one', async () => {
    const dir = tempDir();
    const service = await startService({ DATA_DIR: dir, ...SECRETS });
    const backup = await backupNow(dir);
    const refused = await runTs('scripts/restore.ts', [backup], { DATA_DIR: dir, ...SECRETS });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /restore refused: the service is running on this data directory \(pid \d+\); stop it first/);
    assert.equal(fs.readdirSync(dir).some((n) => n.startsWith('replaced-')), false, 'nothing was moved');

    await stopService(service, 'SIGKILL');
    assert.ok(fs.existsSync(path.join(dir, 'service.pid')), 'the killed service left its lock file');
    const restored = await runTs('scripts/restore.ts', [backup], { DATA_DIR: dir, ...SECRETS });
    assert.equal(restored.code, 0, restored.stderr);
  });

  test('a restore brings back the backup, sets the replaced files aside, ends every old sign-in and lists later security changes; --reapply re-terminates', async () => {
    const dir = tempDir();
    const env = { DATA_DIR: dir, ...SECRETS };
    let service = await startService(env);
    const owner = await apiLogin(service.url, OWNER.username, OWNER.password);
    const cookie = await panelLogin(service.url, OWNER.username, OWNER.password);
    const create = async (username: string) =>
      (await api(service.url, owner.access, 'POST', '/api/users', { username, password: WORKER_PASSWORD, role: 'worker' })).body.user as { id: number };
    assert.equal((await fetch(`${service.url}/dashboard`, { headers: { cookie }, redirect: 'manual' })).status, 200, 'the panel cookie works before');
    const leaver = await create('leaver');
    const stayer = await create('stayer');
    const backup = await backupNow(dir);
    assert.equal((await api(service.url, owner.access, 'DELETE', `/api/users/${leaver.id}`)).status, 200);
    assert.equal((await api(service.url, owner.access, 'POST', `/api/users/${stayer.id}/sign-out`)).status, 200);
    await create('latecomer');
    await stopService(service);
    const copy = tempDir();
    fs.cpSync(dir, copy, { recursive: true });
    const liveHash = sha256(path.join(dir, 'security.db'));

    const restored = await runTs('scripts/restore.ts', [backup], env);
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(users(path.join(dir, 'security.db')), users(path.join(backup, 'security.db')), 'the accounts are those of the backup');
    const replaced = fs.readdirSync(dir).find((n) => n.startsWith('replaced-'))!;
    assert.ok(fs.existsSync(path.join(dir, replaced, 'sessions.db')));
    assert.equal(sha256(path.join(dir, replaced, 'security.db')), liveHash, 'the replaced database is kept as it was');
    assert.match(restored.stdout, /restore: every sign-in ended: 1 token login\(s\) revoked/);
    assert.match(restored.stdout, /2 security change\(s\) in the current database after the backup was taken:/);
    assert.match(restored.stdout, /user\.terminate\s+leaver \(id \d+\) by chief/);
    assert.match(restored.stdout, /user\.sign_out_everywhere\s+stayer \(id \d+\) by chief/);
    const check = await runTs('scripts/check.ts', [], env);
    assert.equal(check.code, 0, check.stderr);

    service = await startService(env);
    try {
      const validate = await fetch(`${service.url}/auth/validate`, { method: 'POST', headers: { authorization: `Bearer ${owner.access}` } });
      assert.equal(validate.status, 401, 'the access token issued before the restore is refused');
      const refresh = await fetch(`${service.url}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: owner.refresh }) });
      assert.equal(refresh.status, 401, 'the refresh token issued before the restore is refused');
      const panel = await fetch(`${service.url}/dashboard`, { headers: { cookie }, redirect: 'manual' });
      assert.ok(panel.status === 302 || panel.status === 303, `redirected, got ${panel.status}`);
      assert.match(panel.headers.get('location') ?? '', /\/login/);
      assert.equal((await fetch(`${service.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'leaver', password: WORKER_PASSWORD }) })).status, 200, 'without --reapply the backup state stands');
    } finally {
      await stopService(service);
    }

    const again = await runTs('scripts/restore.ts', [backup, '--reapply'], { ...env, DATA_DIR: copy });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /re-applied: 1 termination\(s\) \[leaver\], 1 credential renewal\(s\) \[stayer\]/);
    const db = new Database(path.join(copy, 'security.db'), { readonly: true });
    assert.equal(db.prepare("SELECT is_active FROM users WHERE username = 'leaver'").pluck().get(), 0);
    const rows = db.prepare("SELECT action, username, target_id, json_extract(detail, '$.original_action') AS original FROM activity_log WHERE json_extract(detail, '$.reapplied_from_row') IS NOT NULL ORDER BY id").all();
    assert.deepEqual(rows, [
      { action: 'user.terminate', username: 'operator', target_id: String(leaver.id), original: 'user.terminate' },
      { action: 'user.sign_out_everywhere', username: 'operator', target_id: String(stayer.id), original: 'user.sign_out_everywhere' },
    ]);
    assert.equal(db.prepare("SELECT count(*) FROM activity_log WHERE action = 'backup.restore'").pluck().get(), 1);
    db.close();
  });

  test('a dry run lists the changes and changes nothing; a restore cut short (file size limit, like a full disk) leaves the current data in place', async () => {
    const dir = tempDir();
    const env = { DATA_DIR: dir, ...SECRETS };
    const service = await startService(env);
    const owner = await apiLogin(service.url, OWNER.username, OWNER.password);
    const backup = await backupNow(dir);
    const created = await api(service.url, owner.access, 'POST', '/api/users', { username: 'after', password: WORKER_PASSWORD, role: 'worker' });
    assert.equal((await api(service.url, owner.access, 'DELETE', `/api/users/${(created.body.user as { id: number }).id}`)).status, 200);
    await stopService(service);
    const before = sha256(path.join(dir, 'security.db'));
    const listing = () => fs.readdirSync(dir).filter((n) => !n.endsWith('-shm') && !n.endsWith('-wal')).sort();
    const names = listing();

    const dry = await runTs('scripts/restore.ts', [backup, '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /1 security change\(s\) in the current database after the backup was taken:\n.*user\.terminate\s+after/);
    assert.match(dry.stdout, /dry run: nothing was changed/);
    assert.deepEqual(listing(), names);
    assert.equal(sha256(path.join(dir, 'security.db')), before);

    const { spawn } = await import('node:child_process');
    const child = spawn('prlimit', ['--fsize=100000', process.execPath, '--import', 'tsx', path.join(ROOT, 'scripts/restore.ts'), backup],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    assert.notEqual(await new Promise((resolve) => child.on('close', resolve)), 0);
    assert.match(stderr.trim(), /^restore failed, nothing was replaced: .*EFBIG/);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(listing(), names, 'no staging folder or replaced- folder is left');
    assert.equal(sha256(path.join(dir, 'security.db')), before, 'the current database is untouched');
  });

  test('restore refuses a backup that does not verify and moves nothing', async () => {
    const dir = tempDir();
    await stopService(await startService({ DATA_DIR: dir, ...SECRETS }));
    const backup = await backupNow(dir);
    fs.appendFileSync(path.join(backup, 'security.db'), 'x');
    const before = sha256(path.join(dir, 'security.db'));
    const refused = await runTs('scripts/restore.ts', [backup], { DATA_DIR: dir, ...SECRETS });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /restore refused: backup does not verify: security\.db: \d+ bytes, the manifest says \d+/);
    assert.equal(sha256(path.join(dir, 'security.db')), before);
    assert.equal(fs.readdirSync(dir).some((n) => n.startsWith('replaced-')), false);
  });
});
