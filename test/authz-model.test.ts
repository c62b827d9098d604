import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import request from 'supertest';
import type { Role } from '../src/domain/roles.js';
import { insertUser, makeTestApp, STRONG_PASSWORD, type TestContext } from './helpers.js';

// A tiny model of accounts, roles and ownership, written from the README's rules and not from
// src/permissions.ts; random sequences of actions by random actors on random targets go through
// the real API, and after each one the answer and the whole users table must match the model.

interface Account {
  id: number; username: string; role: Role; createdBy: number | null; isOwner: boolean;
  isActive: boolean; mustChange: boolean; credentialVersion: number;
}
interface Model { accounts: Account[]; events: number; promoted: Set<number> }
interface Real { ctx: TestContext; tokens: Map<number, { token: string; version: number }> }

type Kind = 'read' | 'rename' | 'reset' | 'signOut' | 'terminate' | 'reactivate' | 'promote' | 'demote' | 'transfer';
const ADMIN_ONLY: Kind[] = ['promote', 'demote', 'transfer'];
const MISSING_ID = 987654;
const RESET_PASSWORD = 'a model reset passphrase 1';
let names = 0;

/** How often the cases this model exists for came up, so a generator change cannot quietly skip them. */
const seen = { onPromotedByCreator: 0, onDemotedByCreator: 0, transferPastPromoted: 0, commands: 0 };

/** The status the rules predict for `kind` by `actor` on `target` (undefined: no such account). */
function expected(kind: Kind, actor: Account, target: Account | undefined, to: Account | undefined): number {
  if (actor.role === 'worker' || (ADMIN_ONLY.includes(kind) && actor.role !== 'admin')) return 403;
  if (!target) return 404;
  if (target.id === actor.id) return kind === 'read' ? 200 : kind === 'terminate' ? 400 : 403;
  const inScope = actor.role === 'admin' || (target.role === 'worker' && target.createdBy === actor.id);
  if (!inScope) return 404;
  if (kind === 'read') return 200;
  if (target.isOwner) return 403;
  if (target.role === 'admin' && (!actor.isOwner || kind === 'promote' || kind === 'demote')) return 403;
  if (kind === 'transfer' && (target.role !== 'manager' || !to || to.role !== 'manager' || !to.isActive || to.id === target.id)) return 400;
  return 200;
}

/** What a success does to the accounts, and how many `user.*` events it records. */
function apply(m: Model, kind: Kind, target: Account, to: Account | undefined, newName: string): void {
  const bump = () => { target.credentialVersion += 1; };
  const setRole = (role: Role) => { if (target.role !== role) { target.role = role; bump(); m.events += 1; } };
  if (kind === 'rename') { target.username = newName; m.events += 1; }
  if (kind === 'reset') { target.mustChange = true; bump(); m.events += 1; }
  if (kind === 'signOut') { bump(); m.events += 1; }
  if (kind === 'terminate' && target.isActive) { target.isActive = false; bump(); m.events += 1; }
  if (kind === 'reactivate' && !target.isActive) { target.isActive = true; m.events += 1; }
  if (kind === 'promote') setRole('manager');
  if (kind === 'demote') setRole('worker');
  if (kind === 'transfer') {
    for (const a of m.accounts) if (a.createdBy === target.id && a.role === 'worker') a.createdBy = to!.id;
    m.events += 1;
  }
}

async function tokenOf(r: Real, a: Account): Promise<string> {
  const cached = r.tokens.get(a.id);
  if (cached?.version === a.credentialVersion) return cached.token;
  const res = await request(r.ctx.app).post('/auth/login').send({ username: a.username, password: STRONG_PASSWORD });
  assert.equal(res.status, 200, `login ${a.username}: ${JSON.stringify(res.body)}`);
  r.tokens.set(a.id, { token: res.body.access_token, version: a.credentialVersion });
  return res.body.access_token;
}

function send(r: Real, kind: Kind, id: number, token: string, to: number, newName: string) {
  const app = r.ctx.app;
  const call = {
    read: () => request(app).get(`/api/users/${id}`),
    rename: () => request(app).put(`/api/users/${id}`).send({ username: newName }),
    reset: () => request(app).put(`/api/users/${id}`).send({ password: RESET_PASSWORD }),
    signOut: () => request(app).post(`/api/users/${id}/sign-out`),
    terminate: () => request(app).delete(`/api/users/${id}`),
    reactivate: () => request(app).put(`/api/users/${id}`).send({ is_active: true }),
    promote: () => request(app).put(`/api/users/${id}/role`).send({ role: 'manager' }),
    demote: () => request(app).put(`/api/users/${id}/role`).send({ role: 'worker' }),
    transfer: () => request(app).post(`/api/users/${id}/transfer`).send({ manager_id: to }),
  }[kind]();
  return call.set('Authorization', `Bearer ${token}`);
}

function assertDbMatches(m: Model, r: Real): void {
  const rows = r.ctx.db.prepare(`SELECT id, username, role, created_by AS createdBy, is_owner AS isOwner, is_active AS isActive,
    must_change_password AS mustChange, credential_version AS credentialVersion FROM users ORDER BY id`).all();
  const model = m.accounts.map((a) => ({ ...a, isOwner: Number(a.isOwner), isActive: Number(a.isActive), mustChange: Number(a.mustChange) }));
  assert.deepEqual(rows, model);
  const events = r.ctx.db.prepare("SELECT count(*) FROM activity_log WHERE action LIKE 'user.%' AND user_id IS NOT NULL").pluck().get();
  assert.equal(events, m.events, 'one event per change, none for a refusal');
}

function count(m: Model, actor: Account, target: Account | undefined): void {
  seen.commands += 1;
  if (actor.role !== 'manager' || target?.createdBy !== actor.id) return;
  if (target.role === 'manager') seen.onPromotedByCreator += 1;
  else if (m.promoted.has(target.id)) seen.onDemotedByCreator += 1;
}

/** Actors are accounts that can use the API now (active, no forced password change); the owner always can. */
const able = (a: Account) => a.isActive && !a.mustChange;
const nth = <T>(list: T[], pick: number): T | undefined => list[pick % Math.max(list.length, 1)];
const actorOf = (m: Model, pick: number) => nth(m.accounts.filter(able), pick)!;
/** One past the last account stands for an id that does not exist. */
const accountOf = (m: Model, pick: number) => m.accounts[pick % (m.accounts.length + 1)];

type Aim = 'any' | 'own' | 'team';

/**
 * Biased picks, so the cases that matter come up often: `own` is an actor (a manager if one can
 * act) on an account it created, where a stale `created_by` rule would leak; `team` is an admin
 * on an account a manager created (the promotions that make such leaks possible), or for a
 * transfer, an admin handing over the accounts of a manager that created some to another manager.
 */
function aimed(m: Model, aim: Aim, kind: Kind, [actorPick, targetPick, toPick]: [number, number, number]): [Account, Account, Account | undefined] | null {
  const createdBy = (id: number | undefined) => m.accounts.filter((t) => t.createdBy === id);
  const isManager = (id: number | null) => m.accounts.some((c) => c.id === id && c.role === 'manager');
  const creators = m.accounts.filter((a) => able(a) && createdBy(a.id).length > 0);
  const managers = creators.filter((a) => a.role === 'manager');
  const admins = m.accounts.filter((a) => able(a) && a.role === 'admin');
  const actor = aim === 'own' ? nth(managers.length ? managers : creators, actorPick) : nth(admins, actorPick);
  const targets = aim === 'own' ? createdBy(actor?.id)
    : kind === 'transfer' ? m.accounts.filter((t) => t.role === 'manager' && createdBy(t.id).length > 0)
    : m.accounts.filter((t) => isManager(t.createdBy));
  const target = nth(targets, targetPick);
  const to = nth(m.accounts.filter((t) => t.role === 'manager' && t.isActive && t.id !== target?.id), toPick) ?? accountOf(m, toPick);
  return actor && target ? [actor, target, to] : null;
}

class Act implements fc.AsyncCommand<Model, Real> {
  constructor(readonly kind: Kind, readonly actorPick: number, readonly targetPick: number, readonly toPick: number, readonly aim: Aim = 'any') {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const chosen = this.aim === 'any' ? null : aimed(m, this.aim, this.kind, [this.actorPick, this.targetPick, this.toPick]);
    const [actor, target, to] = chosen ?? [actorOf(m, this.actorPick), accountOf(m, this.targetPick), accountOf(m, this.toPick)];
    const newName = `renamed${(names += 1)}`;
    const want = expected(this.kind, actor, target, to);
    const res = await send(r, this.kind, target?.id ?? MISSING_ID, await tokenOf(r, actor), to?.id ?? MISSING_ID, newName);
    const what = `${actor.role}#${actor.id} ${this.kind} ${target ? `${target.role}#${target.id}` : 'missing'}`;
    count(m, actor, target);
    assert.equal(res.status, want, `${what}: ${JSON.stringify(res.body)}`);
    if (want >= 400) assert.equal(res.body.code, { 400: 'bad_request', 403: 'forbidden', 404: 'not_found' }[want]);
    if (want === 200 && this.kind === 'transfer' && m.accounts.some((a) => a.createdBy === target?.id && a.role === 'manager')) seen.transferPastPromoted += 1;
    if (want === 200 && target) apply(m, this.kind, target, to, newName);
    if (want === 200 && target && this.kind === 'promote') m.promoted.add(target.id);
    assertDbMatches(m, r);
  }
  toString = () => `${this.kind}[${this.aim}](actor ${this.actorPick}, target ${this.targetPick}, to ${this.toPick})`;
}

class Create implements fc.AsyncCommand<Model, Real> {
  constructor(readonly actorPick: number, readonly role: 'worker' | 'manager') {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const actor = actorOf(m, this.actorPick);
    const username = `created${(names += 1)}`;
    const res = await request(r.ctx.app).post('/api/users').set('Authorization', `Bearer ${await tokenOf(r, actor)}`)
      .send({ username, password: STRONG_PASSWORD, role: this.role });
    const allowed = actor.role === 'admin' || (actor.role === 'manager' && this.role === 'worker');
    assert.equal(res.status, allowed ? 201 : 403, `${actor.role} creates ${this.role}: ${JSON.stringify(res.body)}`);
    if (allowed) {
      m.accounts.push({ id: res.body.user.id, username, role: this.role, createdBy: actor.id, isOwner: false, isActive: true,
        mustChange: false, credentialVersion: 1 });
      m.events += 1;
    }
    assertDbMatches(m, r);
  }
  toString = () => `create(actor ${this.actorPick}, ${this.role})`;
}

class List implements fc.AsyncCommand<Model, Real> {
  constructor(readonly actorPick: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const actor = actorOf(m, this.actorPick);
    const res = await request(r.ctx.app).get('/api/users?limit=500').set('Authorization', `Bearer ${await tokenOf(r, actor)}`);
    const visible = m.accounts.filter((a) => actor.role === 'admin' || (a.role === 'worker' && a.createdBy === actor.id));
    assert.equal(res.status, actor.role === 'worker' ? 403 : 200);
    if (res.status === 200) assert.deepEqual(res.body.users.map((u: { id: number }) => u.id).sort(), visible.map((a) => a.id).sort());
  }
  toString = () => `list(actor ${this.actorPick})`;
}

/** The owner, a second admin (created by the owner), two managers (by the admin), two workers of one and one of the other. */
async function world(): Promise<{ model: Model; real: Real }> {
  const ctx = await makeTestApp({ API_LOGIN_REQUESTS_PER_MINUTE: '100000', ANOMALY_ACTIONS_PER_MINUTE: '100000' });
  const accounts: Account[] = [];
  const add = async (role: Role, createdBy: number | null, isOwner = false) => {
    const u = await insertUser(ctx.db, { role, isOwner, createdBy: createdBy ?? undefined });
    accounts.push({ id: u.id, username: u.username, role, createdBy, isOwner, isActive: true, mustChange: false, credentialVersion: 1 });
    return u.id;
  };
  const owner = await add('admin', null, true);
  const admin = await add('admin', owner);
  const managerA = await add('manager', admin);
  const managerB = await add('manager', admin);
  await add('worker', managerA);
  await add('worker', managerA);
  await add('worker', managerB);
  return { model: { accounts, events: 0, promoted: new Set() }, real: { ctx, tokens: new Map() } };
}

const pick = fc.nat({ max: 50 });
const kinds: Kind[] = ['read', 'rename', 'reset', 'signOut', 'terminate', 'reactivate', 'promote', 'demote', 'transfer'];
const commands = [
  ...kinds.map((kind) => fc.tuple(pick, pick, pick).map(([a, t, to]) => new Act(kind, a, t, to))),
  ...kinds.map((kind) => fc.tuple(pick, pick, pick).map(([a, t, to]) => new Act(kind, a, t, to, 'own'))),
  ...(['promote', 'demote', 'transfer'] as const).map((kind) => fc.tuple(pick, pick, pick).map(([a, t, to]) => new Act(kind, a, t, to, 'team'))),
  fc.tuple(pick, fc.constantFrom('worker' as const, 'manager' as const)).map(([a, role]) => new Create(a, role)),
  pick.map((a) => new List(a)),
];

test('random sequences of account actions by random actors answer and change exactly what the rules say', async () => {
  await fc.assert(fc.asyncProperty(fc.commands(commands, { maxCommands: 40, size: 'max' }), async (cmds) => {
    const { model, real } = await world();
    try {
      await fc.asyncModelRun(() => ({ model, real }), cmds);
    } finally {
      await real.ctx.close();
    }
  }), { seed: 20260409, numRuns: 25 });
  assert.ok(seen.onPromotedByCreator >= 5 && seen.onDemotedByCreator >= 2 && seen.transferPastPromoted >= 2, JSON.stringify(seen));
});

test('the flags are the admins\': only an admin lists them or acknowledges one, and a refusal acknowledges nothing', async () => {
  const { model, real } = await world();
  try {
    const flag = Number(real.ctx.db.prepare(`INSERT INTO activity_flags (at, user_id, rule, severity, summary, reason, activity_id)
      VALUES ('2026-01-01T00:00:00.000Z', NULL, 'ip_login_burst', 'high', 'fixture', 'fixture', 1)`).run().lastInsertRowid);
    const acknowledged = () => real.ctx.db.prepare('SELECT acknowledged_by FROM activity_flags WHERE id = ?').pluck().get(flag);
    // Workers and managers first, so the flag is still open when each is refused.
    const order = [...model.accounts].sort((a, b) => Number(a.role === 'admin') - Number(b.role === 'admin'));
    for (const actor of order) {
      const auth = { Authorization: `Bearer ${await tokenOf(real, actor)}` };
      const want = actor.role === 'admin' ? 200 : 403;
      assert.equal((await request(real.ctx.app).get('/api/activity/flags').set(auth)).status, want, `${actor.role} lists`);
      const res = await request(real.ctx.app).post('/api/activity/flags/acknowledge').set(auth).send({ ids: [flag] });
      assert.equal(res.status, want, `${actor.role} acknowledges`);
      if (want === 403) assert.equal(acknowledged(), null);
      else assert.notEqual(acknowledged(), null);
    }
  } finally {
    await real.ctx.close();
  }
});
