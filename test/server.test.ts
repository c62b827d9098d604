import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { tempDir } from './helpers.js';
import { ROOT } from './process.js';
import { freePort } from './service-process.js';

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
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
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
    const dbSeal = new Database(path.join(dir, 'security.db'), { readonly: true });
    assert.deepEqual(dbSeal.prepare('SELECT keyed_from_id, legacy_rows FROM activity_chain_seal').all(), [{ keyed_from_id: 1, legacy_rows: 0 }],
      'a new database is keyed from its first activity row');
    dbSeal.close();

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

/** Opens a raw TCP connection and collects what the server sends until it closes. */
function connect(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (received += d));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  const opened = new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  return { socket, opened, closed, received: () => received };
}

/** Sends one request on an open connection and waits for its complete (small) response. */
async function exchange(conn: ReturnType<typeof connect>, text: string): Promise<string> {
  const start = conn.received().length;
  conn.socket.write(text);
  while (!/\r\n\r\n[\s\S]*\}/.test(conn.received().slice(start))) {
    if (conn.socket.destroyed) throw new Error('closed before the response: ' + conn.received());
    await new Promise((r) => setTimeout(r, 10));
  }
  return conn.received().slice(start);
}

/** Writes one byte a second until the server closes the connection; returns how many were sent. */
async function trickle(conn: ReturnType<typeof connect>, bytes: string): Promise<number> {
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < bytes.length && !conn.socket.destroyed) conn.socket.write(bytes[sent++]!);
  }, 1000);
  await conn.closed;
  clearInterval(timer);
  return sent;
}

const HEALTH = 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n';

describe('slow clients and too many connections', () => {
  let server: Running;
  let port: number;
  before(async () => {
    port = await freePort();
    server = await start({
      DATA_DIR: tempDir(), SECURITY_PORT: String(port), LOG_REQUESTS: 'false',
      HEADERS_TIMEOUT_SECONDS: '1', REQUEST_TIMEOUT_SECONDS: '2', KEEP_ALIVE_TIMEOUT_SECONDS: '60', MAX_CONNECTIONS: '2',
    });
  });
  after(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  });

  test('a body trickled one byte a second is cut off with 408 by the request timeout', { timeout: 20_000 }, async () => {
    const body = JSON.stringify({ username: 'slowloris', password: 'x'.repeat(200) });
    const conn = connect(port);
    await conn.opened;
    conn.socket.write(`POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    const sent = await trickle(conn, body);
    assert.match(conn.received(), /^HTTP\/1\.1 408 /);
    assert.ok(sent < 10, `cut off after ${sent} of ${body.length} bytes`);
  });

  test('a client that never finishes its headers is cut off with 408 by the header timeout', { timeout: 20_000 }, async () => {
    const conn = connect(port);
    await conn.opened;
    conn.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n');
    const sent = await trickle(conn, 'X-Slow: ' + 'a'.repeat(200));
    assert.match(conn.received(), /^HTTP\/1\.1 408 /);
    assert.ok(sent < 10, `cut off after ${sent} header bytes`);
  });

  test('with MAX_CONNECTIONS=2 a third concurrent connection is closed unserved while the first two are served', { timeout: 20_000 }, async () => {
    const first = connect(port);
    const second = connect(port);
    assert.match(await exchange(first, HEALTH), /^HTTP\/1\.1 200 /);
    assert.match(await exchange(second, HEALTH), /^HTTP\/1\.1 200 /);
    const third = connect(port);
    third.socket.write(HEALTH);
    await third.closed;
    assert.equal(third.received(), '', 'the third connection got no response');
    assert.match(await exchange(first, HEALTH), /^HTTP\/1\.1 200 /, 'the held connections still work');
    assert.match(await exchange(second, HEALTH), /^HTTP\/1\.1 200 /);

    first.socket.destroy();
    second.socket.destroy();
    // The server counts a connection out when it sees the close, which may take a few turns.
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt += 1) {
      status = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status, () => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, 200, 'a normal request works once they are gone');
  });
});
