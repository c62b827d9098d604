import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Env } from '../src/config.js';
import { makeTestApp, type TestContext } from './helpers.js';

export interface Served {
  url: string;
  close(): Promise<void>;
}

/** The app on a real port, so parallel requests really overlap on the server. */
export function serve(app: TestContext['app']): Promise<Served> {
  return new Promise((resolve) => {
    const server: Server = app.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

/** How many answers had each status, e.g. { 401: 5, 429: 35 }. */
export function statuses(answers: Array<{ status: number }>): Record<number, number> {
  const out: Record<number, number> = {};
  for (const a of answers) out[a.status] = (out[a.status] ?? 0) + 1;
  return out;
}

/** Waits (without sleeping a fixed time) until the condition holds. */
export async function until(condition: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** A fresh app on a real port for one test; closed whatever happens. */
export async function serveApp(env: Env, run: (ctx: TestContext, server: Served) => Promise<void>): Promise<void> {
  const ctx = await makeTestApp(env);
  const server = await serve(ctx.app);
  try {
    await run(ctx, server);
  } finally {
    await server.close();
    await ctx.close();
  }
}
