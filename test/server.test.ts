import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { tempDir } from './helpers.js';
import { ROOT } from './process.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

async function start(env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/server.ts')], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env },
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const deadline = Date.now() + 20_000;
  while (!output.includes('"msg":"listening"')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('server did not start:\n' + output);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => output, exited };
}

describe('the service as an operator runs it', () => {
  test('first start creates an owner with a one-time password, serves /health, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const port = await freePort();
    const env = { DATA_DIR: dir, SECURITY_PORT: String(port) };
    const first = await start(env);
    const printed = /username: admin\n\s+password: (\S+)/.exec(first.output());
    assert.ok(printed, 'the generated password is printed once');
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.deepEqual(await health.json(), { status: 'healthy', service: 'security-backend' });
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    assert.match(first.output(), /"msg":"stopped"/);

    const db = new Database(path.join(dir, 'security.db'), { readonly: true });
    const owner = db.prepare('SELECT username, role, is_owner, must_change_password FROM users').all();
    db.close();
    assert.deepEqual(owner, [{ username: 'admin', role: 'admin', is_owner: 1, must_change_password: 1 }]);

    const second = await start(env);
    assert.doesNotMatch(second.output(), /password:/, 'the password is not shown again');
    second.child.kill('SIGINT');
    assert.equal(await second.exited, 0);
  });

  test('ADMIN_USERNAME and ADMIN_PASSWORD make the owner, and a weak ADMIN_PASSWORD stops the first start', async () => {
    const weak = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/server.ts')], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', DATA_DIR: tempDir(), SECURITY_PORT: '0', ADMIN_USERNAME: 'boss', ADMIN_PASSWORD: 'tooshort' },
    });
    let stderr = '';
    weak.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => weak.on('close', resolve));
    assert.equal(code, 1);
    assert.match(stderr, /cannot create the first admin from ADMIN_USERNAME\/ADMIN_PASSWORD: Password must be at least 12 characters/);

    const dir = tempDir();
    const running = await start({ DATA_DIR: dir, SECURITY_PORT: String(await freePort()), ADMIN_USERNAME: 'boss', ADMIN_PASSWORD: 'a strong owner passphrase' });
    assert.doesNotMatch(running.output(), /a strong owner passphrase/);
    running.child.kill('SIGTERM');
    await running.exited;
    const db = new Database(path.join(dir, 'security.db'), { readonly: true });
    const users = db.prepare('SELECT username, is_owner, must_change_password FROM users').all();
    db.close();
    assert.deepEqual(users, [{ username: 'boss', is_owner: 1, must_change_password: 0 }]);
  });
});
