import http from 'node:http';
import request from 'supertest';
import type { Env } from '../../src/config.js';
import { csrfFrom, insertUser, makeTestApp, sessionCookie, signIn, STRONG_PASSWORD, TEST_JWT_SECRET, TEST_SESSION_SECRET, type TestContext } from '../helpers.js';

export type Principal = 'admin' | 'manager' | 'worker' | 'anonymous' | 'forged';
export const API_PRINCIPALS: readonly Principal[] = ['admin', 'manager', 'worker', 'anonymous', 'forged'];
// Workers may not enter the panel at all, so a worker there is just an anonymous visitor.
export const PANEL_PRINCIPALS: readonly Principal[] = ['admin', 'manager', 'anonymous'];

type Agent = ReturnType<typeof request.agent>;
type Role = 'admin' | 'manager' | 'worker';
interface Account { id: number; username: string; password: string }
interface Signed { user: Account; token: string; agent?: Agent; csrf?: string }

/** Limits raised so the properties are not masked by 429s; one test keeps the real ones. */
export const RELAXED_LIMITS: Env = {
  LOGIN_REQUESTS_PER_MINUTE: '100000', API_LOGIN_REQUESTS_PER_MINUTE: '100000',
  LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000', LOGIN_MAX_FAILURES_PER_IP: '100000',
  RATE_LIMIT_MESSAGES_PER_MINUTE: '100000', RATE_LIMIT_MESSAGES_PER_HOUR: '1000000', RATE_LIMIT_MESSAGES_PER_DESTINATION_HOUR: '100000',
};

export interface FuzzWorld {
  ctx: TestContext;
  /** One listening server for every case: supertest would otherwise start one per request. */
  server: http.Server;
  /** What no answer may contain: the app's keys, the fixtures' password, tokens and session ids. */
  secrets: Set<string>;
  token(p: Principal): string | undefined;
  panel(p: Principal): { agent: Agent; csrf: string } | undefined;
  /** Ids worth aiming at: every user and flag that exists. */
  realIds(): number[];
  /** After a case that changed something: each fixture signed in again, or replaced. */
  ensureLive(): Promise<void>;
  close(): Promise<void>;
}

const FORGED_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwicm9sZSI6ImFkbWluIn0.c2lnbmF0dXJl';

/**
 * The app under fuzz with an admin, a manager and the manager's worker, each with a live bearer
 * token and (admin, manager) a panel session with its CSRF token, plus a little data to aim at.
 * Cases may terminate, rename or sign out these users; `ensureLive` revives or replaces them.
 */
export async function createFuzzWorld(env: Env = RELAXED_LIMITS): Promise<FuzzWorld> {
  const ctx = await makeTestApp({ LOG_REQUESTS: 'false', ...env });
  const server = http.createServer(ctx.app).listen(0, '127.0.0.1');
  // The keys makeTestApp configures.
  const secrets = new Set([STRONG_PASSWORD, TEST_JWT_SECRET, TEST_SESSION_SECRET]);
  const fixtures = createFixtures(ctx, server, secrets);
  await insertUser(ctx.db, { role: 'admin', isOwner: true });
  for (const role of ROLES) {
    if (!(await fixtures.signInAs(role, await fixtures.newAccount(role)))) throw new Error(`the ${role} fixture could not sign in`);
  }
  await seedData(ctx, server, fixtures.signed.get('worker')!.token);
  return {
    ctx, server, secrets,
    token: (p) => (p === 'forged' ? FORGED_TOKEN : fixtures.signed.get(p)?.token),
    panel(p) {
      const s = fixtures.signed.get(p);
      return s?.agent && s.csrf ? { agent: s.agent, csrf: s.csrf } : undefined;
    },
    realIds: () => (ctx.db.prepare('SELECT id FROM users UNION SELECT id FROM activity_flags LIMIT 40').raw().all() as number[][]).map((r) => r[0]!),
    ensureLive: fixtures.ensureLive,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await ctx.close();
    },
  };
}

const ROLES = ['admin', 'manager', 'worker'] as const;

function createFixtures(ctx: TestContext, server: http.Server, secrets: Set<string>) {
  const signed = new Map<Principal, Signed>();

  // A worker belongs to the fixture manager, a manager to the fixture admin, as in real teams.
  const newAccount = (role: Role): Promise<Account> => {
    const creator = signed.get(role === 'worker' ? 'manager' : 'admin');
    return insertUser(ctx.db, { role, ...(role !== 'admin' && creator ? { createdBy: creator.user.id } : {}) });
  };

  async function panelSession(user: Account): Promise<{ agent: Agent; csrf: string } | undefined> {
    const agent = request.agent(server);
    const res = await signIn(agent, user.username, user.password);
    const cookie = sessionCookie(res)?.split('=')[1];
    if (res.status !== 303 || !cookie) return undefined;
    secrets.add(cookie).add(decodeURIComponent(cookie));
    return { agent, csrf: csrfFrom((await agent.get('/dashboard')).text) };
  }

  /** A bearer token from the sign-in service, not POST /auth/login: a per-IP cap the fuzz spent there does not apply. */
  async function newToken(role: Role, user: Account): Promise<string | undefined> {
    const login = await ctx.services.tokens.login(user.username, user.password, { ip: '127.0.0.2', userAgent: 'fuzz fixtures' });
    if (login.kind !== 'ok' || login.user.role !== role || login.user.mustChangePassword) return undefined;
    secrets.add(login.accessToken).add(login.refreshToken);
    return login.accessToken;
  }

  /** A token and (but for workers) a panel session for the account; false if it cannot sign in. */
  async function signInAs(role: Role, user: Account): Promise<boolean> {
    const token = await newToken(role, user);
    const panel = token && role !== 'worker' ? await panelSession(user) : {};
    if (!token || !panel) return false;
    signed.set(role, { user, token, ...panel });
    return true;
  }

  /** Renews what a case ended (the token, the session, or both); false if the account cannot sign in. */
  async function revive(role: Role, s: Signed): Promise<boolean> {
    const me = await request(server).get('/auth/me').set('Authorization', `Bearer ${s.token}`);
    if (me.status !== 200 || me.body.role !== role) {
      const token = await newToken(role, s.user);
      if (!token) return false;
      s.token = token;
    }
    // /account answers 200 only to a live session with no password change pending.
    if (!s.agent || (await s.agent.get('/account')).status === 200) return true;
    const panel = await panelSession(s.user);
    if (panel) Object.assign(s, panel);
    return panel !== undefined;
  }

  /** Each fixture revived; one whose account was terminated, renamed, reset or moved is replaced. */
  async function ensureLive(): Promise<void> {
    for (const role of ROLES) {
      if (await revive(role, signed.get(role)!)) continue;
      if (!(await signInAs(role, await newAccount(role)))) throw new Error(`the new ${role} fixture could not sign in`);
    }
  }

  return { signed, newAccount, signInAs, ensureLive };
}

async function seedData(ctx: TestContext, server: http.Server, workerToken: string): Promise<void> {
  const auth = { Authorization: `Bearer ${workerToken}` };
  await request(server).post('/api/contacts/sync').set(auth).send({ contacts: [{ phone: '+34 612 345 678', name: 'Ana' }, { phone: '+1 415 555 2671', name: 'Bo' }] });
  await request(server).post('/api/messages/log').set(auth).send({ recipient_phone: '+34 612 345 678', message_content: 'hello' });
  const last = ctx.db.prepare('SELECT max(id) AS id FROM activity_log').get() as { id: number };
  ctx.db.prepare('INSERT INTO activity_flags (at, user_id, rule, severity, summary, activity_id) VALUES (?, NULL, \'critical_action\', \'high\', \'fixture\', ?)')
    .run(new Date().toISOString(), last.id);
}
