import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import request from 'supertest';
import { createJsonLogger } from '../src/http/logger.js';
import { csrfFrom, insertUser, makeTestApp, tempDir } from './helpers.js';
import { ROOT } from './process.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const ADMIN = { username: 'ops-admin', password: 'an operator passphrase 31' };
const REQUEST_FIELDS = ['id', 'ip', 'level', 'method', 'ms', 'msg', 'path', 'status', 'time'];

describe('the log as a server process writes it', () => {
  test('request lines on stdout are JSON with id, method, path, status, ms, ip and user, and carry no credential', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/server.ts')], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', DATA_DIR: tempDir(), SECURITY_PORT: String(port), LOG_REQUESTS: 'true',
        ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password },
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    while (!stdout.includes('"msg":"listening"')) {
      assert.equal(child.exitCode, null, 'the server exited before listening');
      await new Promise((r) => setTimeout(r, 50));
    }
    const base = `http://127.0.0.1:${port}`;
    const page = await fetch(`${base}/login?next=%2Fdashboard&token=query-secret-4471`);
    const cookie = page.headers.get('set-cookie')?.split(';')[0] ?? '';
    const csrf = csrfFrom(await page.text());
    const signIn = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, username: ADMIN.username, password: ADMIN.password }) });
    const session = signIn.headers.get('set-cookie')?.split(';')[0] ?? '';
    assert.equal((await fetch(`${base}/dashboard`, { headers: { Cookie: session } })).status, 200);
    await fetch(`${base}/auth/validate`, { method: 'POST', headers: { Authorization: 'Bearer header-secret-9921' } });
    // A burst right before SIGTERM: every line must be on stdout once the process has exited.
    await Promise.all(Array.from({ length: 50 }, (_, i) => fetch(`${base}/health?n=${i}`).then((r) => r.text())));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);

    const lines = stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = lines.filter((l) => l.msg === 'request');
    assert.equal(requests.filter((l) => l.path === '/health').length, 50, 'the burst before SIGTERM was flushed');
    assert.equal(lines.at(-1)!.msg, 'stopped');
    for (const line of requests) {
      for (const field of REQUEST_FIELDS) assert.ok(field in line, `request line has ${field}`);
      assert.equal(typeof line.ms, 'number');
      assert.match(String(line.time), /^\d{4}-\d\d-\d\dT/);
    }
    const dashboard = requests.find((l) => l.path === '/dashboard')!;
    assert.equal(typeof dashboard.user, 'number');
    assert.deepEqual(requests.find((l) => l.path === '/auth/validate')!.status, 401);
    for (const secret of ['query-secret-4471', 'header-secret-9921', ADMIN.password, csrf, cookie.split('=')[1], session.split('=')[1], 'next=']) {
      assert.ok(secret && !stdout.includes(secret), `stdout leaks ${secret}`);
    }
  });
});

describe('the logger', () => {
  test('writes each line synchronously to a given sink, with level, ISO time and message', () => {
    const lines: Array<[string, string]> = [];
    const logger = createJsonLogger((line, level) => lines.push([line, level]));
    logger.warn('disk almost full', { freeMb: 12 });
    assert.equal(lines.length, 1);
    const [line, level] = lines[0]!;
    assert.equal(level, 'warn');
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.deepEqual({ ...parsed, time: undefined }, { level: 'warn', time: undefined, msg: 'disk almost full', freeMb: 12 });
    assert.ok(!Number.isNaN(Date.parse(String(parsed.time))));
  });

  test('redacts authorization, cookie and set-cookie should a caller ever pass them', () => {
    const lines: string[] = [];
    const logger = createJsonLogger((line) => lines.push(line));
    logger.info('oops', { authorization: 'Bearer leak-1', cookie: 'sid=leak-2', 'set-cookie': 'sid=leak-3' });
    assert.doesNotMatch(lines[0]!, /leak-/);
    assert.match(lines[0]!, /"authorization":"\[redacted\]"/);
  });

  test('LOG_REQUESTS=false writes no request lines', async () => {
    const ctx = await makeTestApp({ LOG_REQUESTS: 'false' });
    try {
      await request(ctx.app).get('/health');
      assert.equal(ctx.logLines.filter((l) => l.includes('"msg":"request"')).length, 0);
    } finally {
      await ctx.close();
    }
  });
});

describe('the address in a request line', () => {
  const loggedIp = async (env: Record<string, string>) => {
    const ctx = await makeTestApp({ LOG_REQUESTS: 'true', ...env });
    try {
      await request(ctx.app).get('/health').set('X-Forwarded-For', '203.0.113.77');
      const line = ctx.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'request' && l.path === '/health');
      return line?.ip;
    } finally {
      await ctx.close();
    }
  };

  test('is the socket\'s, whatever X-Forwarded-For says, when no proxy is trusted', async () => {
    const ip = await loggedIp({});
    assert.equal(typeof ip, 'string');
    assert.notEqual(ip, '203.0.113.77');
  });

  test('is the forwarded client\'s behind a trusted proxy (TRUST_PROXY=1)', async () => {
    assert.equal(await loggedIp({ TRUST_PROXY: '1' }), '203.0.113.77');
  });
});

describe('secrets never reach the log or /metrics', () => {
  test('random secrets in headers, query strings and bodies appear in neither (property)', async () => {
    const ctx = await makeTestApp({ LOG_REQUESTS: 'true', LOGIN_REQUESTS_PER_MINUTE: '100000', API_LOGIN_REQUESTS_PER_MINUTE: '100000' });
    try {
      const admin = await insertUser(ctx.db, { role: 'admin' });
      const secretArb = fc.stringMatching(/^[A-Za-z0-9_-]{20,40}$/);
      const target = fc.constantFrom('/auth/validate', '/auth/login', '/api/users/7', '/login', '/no/such/page', '/health');
      await fc.assert(fc.asyncProperty(secretArb, target, fc.constantFrom('get', 'post'), async (secret, url, method) => {
        const before = ctx.logLines.length;
        await request(ctx.app)[method](`${url}?token=${secret}&password=${secret}`)
          .set('Authorization', `Bearer ${secret}`).set('Cookie', `nexus.sid=${secret}`).set('X-Api-Key', secret)
          .send({ username: admin.username, password: secret, token: secret });
        const metrics = await request(ctx.app).get('/metrics');
        assert.equal(metrics.status, 200);
        const written = ctx.logLines.slice(before).join('\n');
        assert.ok(written.includes('"msg":"request"'));
        assert.ok(!written.includes(secret), 'a log line holds the secret');
        assert.ok(!metrics.text.includes(secret), '/metrics holds the secret');
      }), { numRuns: 40 });
    } finally {
      await ctx.close();
    }
  });
});
