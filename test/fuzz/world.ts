import http from 'node:http';
import request from 'supertest';
import type { Env } from '../../src/config.js';
import { csrfFrom, insertUser, makeTestApp, sessionCookie, signIn, STRONG_PASSWORD, type TestContext } from '../helpers.js';

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

/**
 * The app under fuzz with an admin, a manager and the manager's worker, each with a live bearer
 * token and (admin, manager) a panel session with its CSRF token, plus a little data to aim at.
 * Cases may terminate, rename or sign out these users; `ensureLive` replaces them when they do.
 */
export class FuzzWorld {
  readonly secrets = new Set<string>([STRONG_PASSWORD]);
  private signed = new Map<Principal, Signed>();

  /** One listening server for every case: supertest would otherwise start one per request. */
  readonly server: http.Server;

  private constructor(readonly ctx: TestContext) {
    this.server = http.createServer(ctx.app).listen(0, '127.0.0.1');
  }

  static async create(env: Env = RELAXED_LIMITS): Promise<FuzzWorld> {
    const world = new FuzzWorld(await makeTestApp({ LOG_REQUESTS: 'false', ...env }));
    // The secrets makeTestApp configures.
    world.secrets.add('test-jwt-key-0123456789abcdefghijklmnopqrstuvwxyz').add('test-session-key-0123456789abcdefghijklmnopqrstuvwxyz');
    await insertUser(world.ctx.db, { role: 'admin', isOwner: true });
    await world.signInAll();
    await world.seedData();
    return world;
  }

  get app() {
    return this.ctx.app;
  }

  token(p: Principal): string | undefined {
    if (p === 'forged') return 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwicm9sZSI6ImFkbWluIn0.c2lnbmF0dXJl';
    return this.signed.get(p)?.token;
  }

  panel(p: Principal): { agent: Agent; csrf: string } | undefined {
    const s = this.signed.get(p);
    return s?.agent && s.csrf ? { agent: s.agent, csrf: s.csrf } : undefined;
  }

  /** Ids worth aiming at: the fixtures' own, and every user and flag that exists. */
  realIds(): number[] {
    const rows = this.ctx.db.prepare('SELECT id FROM users UNION SELECT id FROM activity_flags LIMIT 40').raw().all() as number[][];
    return rows.map((r) => r[0]!);
  }

  private async signInAll(): Promise<void> {
    for (const role of ['admin', 'manager', 'worker'] as const) {
      if (!(await this.signInAs(role, await this.newAccount(role)))) throw new Error(`the ${role} fixture could not sign in`);
    }
  }

  // A worker belongs to the fixture manager, a manager to the fixture admin, as in real teams.
  private newAccount(role: Role): Promise<Account> {
    const creator = role === 'worker' ? this.signed.get('manager') : role === 'manager' ? this.signed.get('admin') : undefined;
    return insertUser(this.ctx.db, { role, ...(creator ? { createdBy: creator.user.id } : {}) });
  }

  /**
   * A bearer token (and, but for workers, a panel session) for the account; false if it cannot
   * sign in. The token comes from the sign-in service, not POST /auth/login, so a per-IP cap the
   * fuzz has spent on that route does not keep the fixtures out.
   */
  private async signInAs(role: Role, user: Account): Promise<boolean> {
    const login = await this.ctx.services.tokens.login(user.username, user.password, { ip: '127.0.0.2', userAgent: 'fuzz fixtures' });
    if (login.kind !== 'ok' || login.user.role !== role || login.user.mustChangePassword) return false;
    this.secrets.add(login.accessToken).add(login.refreshToken);
    const panel = role === 'worker' ? {} : await this.panelSession(user);
    if (!panel) return false;
    this.signed.set(role, { user, token: login.accessToken, ...panel });
    return true;
  }

  private async panelSession(user: Account): Promise<{ agent: Agent; csrf: string } | undefined> {
    const agent = request.agent(this.server);
    const res = await signIn(agent, user.username, user.password);
    const cookie = sessionCookie(res)?.split('=')[1];
    if (res.status !== 303 || !cookie) return undefined;
    this.secrets.add(cookie).add(decodeURIComponent(cookie));
    return { agent, csrf: csrfFrom((await agent.get('/dashboard')).text) };
  }

  private async seedData(): Promise<void> {
    const auth = { Authorization: `Bearer ${this.token('worker')}` };
    await request(this.server).post('/api/contacts/sync').set(auth).send({ contacts: [{ phone: '+34 612 345 678', name: 'Ana' }, { phone: '+1 415 555 2671', name: 'Bo' }] });
    await request(this.server).post('/api/messages/log').set(auth).send({ recipient_phone: '+34 612 345 678', message_content: 'hello' });
    const last = this.ctx.db.prepare('SELECT max(id) AS id FROM activity_log').get() as { id: number };
    this.ctx.db.prepare(`INSERT INTO activity_flags (at, user_id, rule, severity, summary, activity_id) VALUES (?, NULL, 'critical_action', 'high', 'fixture', ?)`)
      .run(new Date().toISOString(), last.id);
  }

  private async isLive(role: Role, s: Signed): Promise<boolean> {
    const me = await request(this.server).get('/auth/me').set('Authorization', `Bearer ${s.token}`);
    if (me.status !== 200 || me.body.role !== role) return false;
    // /account answers 200 only to a live session with no password change pending.
    return !s.agent || (await s.agent.get('/account')).status === 200;
  }

  /**
   * After a case that changed something: is each fixture still signed in, as who it was? If not,
   * the same account signs in again; if it cannot (terminated, renamed, new password, new role),
   * a new account takes its place.
   */
  async ensureLive(): Promise<void> {
    for (const role of ['admin', 'manager', 'worker'] as const) {
      const s = this.signed.get(role)!;
      if (await this.isLive(role, s)) continue;
      if (await this.signInAs(role, s.user)) continue;
      if (!(await this.signInAs(role, await this.newAccount(role)))) throw new Error(`the new ${role} fixture could not sign in`);
    }
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
    await this.ctx.close();
  }
}
