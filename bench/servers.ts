import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts a server in its own process (one core's worth of event loop) and waits for it. With
 * `stdoutFile`, its standard output goes straight to that file (as under a process manager
 * writing to disk) instead of through a pipe read by this process.
 */
export async function startProcess(args: string[], env: Record<string, string>, ready: RegExp, stdoutFile?: string): Promise<Server> {
  const port = await freePort();
  const fd = stdoutFile ? fs.openSync(stdoutFile, 'a') : null;
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), SECURITY_PORT: String(port) },
    stdio: ['ignore', fd ?? 'pipe', 'pipe'],
  });
  if (fd !== null) fs.closeSync(fd);
  let output = '';
  // Keep only the start of the output (enough to see "listening"); request logs are dropped.
  const collect = (d: Buffer) => {
    if (output.length < 64 * 1024) output += d.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr!.on('data', collect);
  const seen = () => output + (stdoutFile ? fs.readFileSync(stdoutFile, 'utf8').slice(0, 64 * 1024) : '');
  const deadline = Date.now() + 30_000;
  while (!ready.test(seen())) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () => new Promise((resolve) => {
      child.once('close', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** The q-quantile of ascending `sorted` values. */
export const percentile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;

/** An access token from the server's real POST /auth/login. */
export async function apiLogin(url: string, username: string, password: string): Promise<string> {
  const res = await fetch(url + '/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`bench login failed for ${username}: ${res.status}`);
  return body.access_token;
}
