import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createApp } from '../src/app.js';
import { createServices } from '../src/services.js';
import { loadConfig, type Env } from '../src/config.js';
import { migrate, openDatabase, type Db } from '../src/db.js';
import { hashPassword } from '../src/passwords/password.js';
import type { Role } from '../src/domain/roles.js';
import { createJsonLogger, type Logger } from '../src/http/logger.js';
import { createSessionStore, type SessionStore } from '../src/http/session.js';

export const STRONG_PASSWORD = 'correct horse battery staple 42';
// Random, so that the production checks (128 bits of estimated entropy) accept them too.
export const TEST_JWT_SECRET = 'kMPNt_xpoTND1TAV5l-sNr6fc44oXrWIQAaVSmecBCgWk3DB6WRNcbrt4XBGe395';
export const TEST_SESSION_SECRET = 'zp6TcmFWKzlKQFd3XkbHNSOg90lcqvGXClGGbS-k2ZpiceV784A1UHY9BpKA-zn1';

const madeDirs: string[] = [];
process.on('exit', () => {
  for (const dir of madeDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A temporary directory, removed when the test process exits (if the test did not remove it). */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-test-'));
  madeDirs.push(dir);
  return dir;
}

export interface TestContext {
  app: ReturnType<typeof createApp>;
  db: Db;
  dir: string;
  services: ReturnType<typeof createServices>;
  sessionStore: SessionStore;
  logLines: string[];
  clock: { now: number };
  close(): Promise<void>;
}

/** The real app over a real SQLite file (migrated) and a real session store, in a temp dir. */
export async function makeTestApp(env: Env = {}): Promise<TestContext> {
  const dir = tempDir();
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dir,
    JWT_SECRET_KEY: TEST_JWT_SECRET,
    SESSION_SECRET: TEST_SESSION_SECRET,
    BUSINESS_HOURS: '00:00-24:00',
    ...env,
  });
  const db = openDatabase(path.join(dir, 'security.db'));
  migrate(db);
  const dataDb = openDatabase(path.join(dir, 'security.db'), { synchronous: config.dataSynchronous });
  const sessionStore = await createSessionStore({ dataDir: dir });
  const logLines: string[] = [];
  const logger: Logger = createJsonLogger((line) => logLines.push(line));
  const clock = { now: Date.now() };
  const deps = { config, db, dataDb, sessionStore, logger, clock: () => clock.now };
  const services = createServices(deps);
  const app = createApp(deps, services);
  return {
    app, db, dir, services, sessionStore, logLines, clock,
    async close() {
      await sessionStore.close();
      dataDb.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
export function uniqueName(prefix = 'user'): string {
  counter += 1;
  return `${prefix}${process.pid}x${counter}`;
}

let strongHash: Promise<string> | undefined;

/** Inserts an account directly, as a fixture; returns its id, name and password. */
export interface UserFixture {
  username?: string;
  password?: string;
  role?: Role;
  isOwner?: boolean;
  mustChangePassword?: boolean;
  createdBy?: number;
}

export async function insertUser(db: Db, fields: UserFixture = {}) {
  const username = fields.username ?? uniqueName(fields.role ?? 'user');
  const now = new Date().toISOString();
  strongHash ??= hashPassword(STRONG_PASSWORD);
  const hash = fields.password ? await hashPassword(fields.password) : await strongHash;
  const info = db.prepare(`INSERT INTO users (username, password_hash, role, is_owner, must_change_password, created_by, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(username, hash,
    fields.role ?? 'admin', fields.isOwner ? 1 : 0, fields.mustChangePassword ? 1 : 0, fields.createdBy ?? null, now, now);
  return { id: Number(info.lastInsertRowid), username, password: fields.password ?? STRONG_PASSWORD };
}

export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no CSRF token in page');
  return match[1];
}

export function sessionCookie(res: request.Response): string | undefined {
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  return cookies.find((c) => c.startsWith('nexus.sid='))?.split(';')[0];
}

/** Signs in through the real form with an agent that keeps cookies. */
export async function signIn(agent: ReturnType<typeof request.agent>, username: string, password: string) {
  const page = await agent.get('/login');
  return agent.post('/login').type('form').send({ _csrf: csrfFrom(page.text), username, password });
}

export function count(db: Db, sql: string, ...params: unknown[]): number {
  return (db.prepare(sql).get(...params) as { n: number }).n;
}
