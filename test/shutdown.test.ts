import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';
import { tempDir } from './helpers.js';
import { ROOT } from './process.js';

interface Running {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

async function waitFor(output: () => string, text: string, child: ChildProcess): Promise<void> {
  while (!output().includes(text)) {
    if (child.exitCode !== null) throw new Error(`server exited before "${text}":\n${output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** The real server process, as `npm start` runs it. */
async function start(env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/server.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DATA_DIR: tempDir(), SECURITY_PORT: String(port), ADMIN_USERNAME: 'boss',
      ADMIN_PASSWORD: 'a long admin passphrase 1', LOGIN_REQUESTS_PER_MINUTE: '100000', API_LOGIN_REQUESTS_PER_MINUTE: '100000',
      LOGIN_PAGE_REQUESTS_PER_MINUTE: '100000', LOGIN_MAX_FAILURES_PER_IP: '100000', LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000', ...env },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await waitFor(() => output, '"msg":"listening"', child);
  return { child, port, output: () => output, exited };
}

function connectRefused(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

interface Outcome {
  sent: boolean;
  status?: number;
  complete: boolean;
  connection?: string;
  answeredAt?: number;
  error?: string;
}

/** Connections waiting in the listening socket's accept queue (from /proc/net/tcp: rx_queue of the LISTEN row). */
function acceptQueue(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const row = fs.readFileSync('/proc/net/tcp', 'utf8').split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((cols) => cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A');
  return row ? parseInt(row[4]!.split(':')[1]!, 16) : 0;
}

function send(port: number, agent: http.Agent | false, method: string, urlPath: string, body?: string,
  onSocket?: (socket: net.Socket) => void): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { sent: false, complete: false };
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent,
      headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      outcome.status = res.statusCode;
      outcome.connection = res.headers.connection;
      res.on('data', () => undefined);
      res.on('end', () => {
        outcome.complete = res.complete;
        outcome.answeredAt = Date.now();
        resolve(outcome);
      });
      res.on('error', (err) => resolve({ ...outcome, error: err.message }));
    });
    req.on('finish', () => (outcome.sent = true));
    if (onSocket) req.once('socket', onSocket);
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ...outcome, error: err.code ?? err.message }));
    req.end(body);
  });
}

/** One raw HTTP/1.1 response off a socket (Content-Length bodies only, as the service sends). */
function readResponse(socket: net.Socket): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    let data = '';
    const onData = (chunk: Buffer) => {
      data += chunk.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const headers = data.slice(0, end);
      const length = Number(/content-length: (\d+)/i.exec(headers)?.[1] ?? 0);
      if (data.length - end - 4 < length) return;
      socket.off('data', onData);
      resolve({ status: Number(headers.split(' ')[1]), headers: headers.toLowerCase(), body: data.slice(end + 4, end + 4 + length) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

function openSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('graceful shutdown on SIGTERM', () => {
  test('with 400 requests in flight every fully sent request is answered completely, new connections are refused, and the process exits 0', async () => {
    const server = await start({ LOG_REQUESTS: 'false', SHUTDOWN_GRACE_SECONDS: '2' });
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 25 });
    const requests: Array<Promise<Outcome>> = [];
    let connected = 0;
    const onSocket = (socket: net.Socket) => socket.once('connect', () => (connected += 1));
    const credentials = JSON.stringify({ username: 'boss', password: 'not the password' });
    const pages = ['/health', '/login', '/users', '/no-such-page'];
    for (let i = 0; i < 400; i += 1) {
      const agent = i % 2 === 0 ? keepAlive : false;
      // Every third is a sign-in (an argon2 hash): slow enough that many are still in flight at SIGTERM.
      if (i % 3 === 0) requests.push(send(server.port, agent, 'POST', '/auth/login', credentials, onSocket));
      else requests.push(send(server.port, agent, 'GET', pages[i % pages.length]!, undefined, onSocket));
    }
    // SIGTERM once every connection the requests opened has been accepted by the server: one still
    // in the kernel's accept queue when the listener closes is reset by the kernel, before any byte of it is read.
    while (connected < 200 + 25 || acceptQueue(server.port) > 0) await new Promise((r) => setTimeout(r, 10));
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    await waitFor(server.output, '"msg":"shutting down"', server.child);
    assert.equal(await connectRefused(server.port), 'ECONNREFUSED', 'no new connection after SIGTERM');

    const outcomes = await Promise.all(requests);
    assert.equal(await server.exited, 0);
    const sent = outcomes.filter((o) => o.sent);
    const unanswered = sent.filter((o) => !o.complete || o.status === undefined);
    assert.deepEqual(unanswered, [], 'every fully sent request got a complete answer');
    const afterSignal = sent.filter((o) => (o.answeredAt ?? 0) > signalledAt);
    assert.ok(afterSignal.length > 0, 'some requests were still in flight at SIGTERM');
    for (const o of outcomes.filter((x) => !x.sent)) assert.equal(o.error, 'ECONNREFUSED', 'a request never sent was refused a connection');
    assert.ok(afterSignal.some((o) => o.connection === 'close'), 'answers during the shutdown close their connection');
    assert.match(server.output(), /"msg":"stopped"/);
    console.log(`SIGTERM under load: ${outcomes.length} requests, ${sent.length} fully sent, ${sent.length - unanswered.length} answered completely ` +
      `(${afterSignal.length} after the signal), ${outcomes.length - sent.length} never sent (refused a connection); exit 0`);
    keepAlive.destroy();
  });

  test('a kept-alive request still being sent is answered with Connection: close, an idle connection may send one last request within the grace, then the process exits 0', async () => {
    const server = await start({ SHUTDOWN_GRACE_SECONDS: '5' });
    const idle = await openSocket(server.port);
    idle.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    const first = await readResponse(idle);
    assert.equal(first.status, 200);
    assert.match(first.headers, /connection: keep-alive/);

    const slow = await openSocket(server.port);
    const body = JSON.stringify({ username: 'boss', password: 'not the password' });
    slow.write(`POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
    await new Promise((r) => setTimeout(r, 100));

    server.child.kill('SIGTERM');
    await waitFor(server.output, '"msg":"shutting down"', server.child);
    assert.equal(await connectRefused(server.port), 'ECONNREFUSED');

    slow.write(body.slice(10));
    const answer = await readResponse(slow);
    assert.equal(answer.status, 401);
    assert.match(answer.headers, /connection: close/);

    idle.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    const last = await readResponse(idle);
    assert.equal(last.status, 200);
    assert.match(last.headers, /connection: close/);

    assert.equal(await server.exited, 0);
    assert.match(server.output(), /"msg":"stopped"/);
  });
});
