import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT } from './process.js';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Service {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

export const OWNER = { username: 'chief', password: 'a strong owner passphrase' };

/** Starts src/server.ts as a real process on a free port and waits until it listens. */
export async function startService(env: Record<string, string>, args: string[] = []): Promise<Service> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/server.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ADMIN_USERNAME: OWNER.username, ADMIN_PASSWORD: OWNER.password, ...env, SECURITY_PORT: String(port) },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const deadline = Date.now() + 30_000;
  while (!output.includes('"msg":"listening"')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('server did not start:\n' + output);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}

export async function stopService(service: Service, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (service.child.exitCode === null) service.child.kill(signal);
  await service.exited;
}

export async function apiLogin(url: string, username: string, password: string): Promise<{ access: string; refresh: string; userId: number }> {
  const res = await fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { access_token: string; refresh_token: string; user: { id: number } };
  return { access: body.access_token, refresh: body.refresh_token, userId: body.user.id };
}

/** Signs in through the panel form; returns the session cookie. */
export async function panelLogin(url: string, username: string, password: string): Promise<string> {
  const page = await fetch(`${url}/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const cookies = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const res = await fetch(`${url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies },
    body: new URLSearchParams({ _csrf: csrf, username, password }).toString() });
  const session = res.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('nexus.sid='));
  if (res.status !== 302 && res.status !== 303 || !session) throw new Error(`panel login ${username}: ${res.status}`);
  return session;
}

export const sha256 = (file: string): string => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
