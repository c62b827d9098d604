import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { Role } from '../src/domain/roles.js';
import { csrfFrom, insertUser, makeTestApp, signIn, type TestContext } from './helpers.js';

// Expected statuses written out by hand (not derived from the code under test). A "promoted"
// account was created as a worker by manager1 and promoted by an admin: a peer of manager1 now,
// outside its scope. A "demoted" one was promoted and demoted again: back in manager1's scope.
type ActorName = 'owner' | 'admin' | 'manager1' | 'manager2' | 'worker';
type TargetName = 'owner' | 'otherAdmin' | 'self' | 'workerOfM1' | 'workerOfM2' | 'workerOfAdmin' | 'managerOfAdmin' | 'promotedOfM1' | 'demotedOfM1';
type Row = Record<TargetName, number>;
type Table = Record<ActorName, Row>;
const all = (status: number): Row => ({ owner: status, otherAdmin: status, self: status, workerOfM1: status, workerOfM2: status,
  workerOfAdmin: status, managerOfAdmin: status, promotedOfM1: status, demotedOfM1: status });

const READ: Table = {
  owner: all(200),
  admin: all(200),
  manager1: { ...all(404), self: 200, workerOfM1: 200, demotedOfM1: 200 },
  manager2: { ...all(404), self: 200, workerOfM2: 200 },
  worker: all(403),
};
const MODIFY: Table = {
  owner: { ...all(200), owner: 403, self: 403 },
  admin: { ...all(200), owner: 403, otherAdmin: 403, self: 403 },
  manager1: { ...all(404), self: 403, workerOfM1: 200, demotedOfM1: 200 },
  manager2: { ...all(404), self: 403, workerOfM2: 200 },
  worker: all(403),
};
const TERMINATE: Table = {
  owner: { ...MODIFY.owner, owner: 400, self: 400 },
  admin: { ...MODIFY.admin, self: 400 },
  manager1: { ...MODIFY.manager1, self: 400 },
  manager2: { ...MODIFY.manager2, self: 400 },
  worker: all(403),
};
const CHANGE_ROLE: Table = {
  owner: { ...all(200), owner: 403, otherAdmin: 403, self: 403 },
  admin: { ...all(200), owner: 403, otherAdmin: 403, self: 403 },
  manager1: all(403),
  manager2: all(403),
  worker: all(403),
};
const TRANSFER: Table = {
  owner: { ...all(400), owner: 403, self: 403, managerOfAdmin: 200, promotedOfM1: 200 },
  admin: { ...all(400), owner: 403, otherAdmin: 403, self: 403, managerOfAdmin: 200, promotedOfM1: 200 },
  manager1: all(403),
  manager2: all(403),
  worker: all(403),
};

let ctx: TestContext;
const ids = {} as Record<ActorName | 'receiver', number>;
const tokens = {} as Record<ActorName, string>;
const panel = {} as Record<Exclude<ActorName, 'worker'>, { agent: ReturnType<typeof request.agent>; csrf: string }>;

before(async () => {
  ctx = await makeTestApp({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000' });
  const owner = await insertUser(ctx.db, { role: 'admin', isOwner: true });
  const admin = await insertUser(ctx.db, { role: 'admin' });
  const manager1 = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
  const manager2 = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
  const worker = await insertUser(ctx.db, { role: 'worker', createdBy: manager1.id });
  ids.receiver = (await insertUser(ctx.db, { role: 'manager', createdBy: admin.id })).id;
  const signedIn = Object.entries({ owner, admin, manager1, manager2, worker }) as Array<[ActorName, { id: number; username: string; password: string }]>;
  for (const [name, user] of signedIn) {
    ids[name] = user.id;
    const login = await request(ctx.app).post('/auth/login').send({ username: user.username, password: user.password });
    assert.equal(login.status, 200, `login ${user.username}`);
    tokens[name] = login.body.access_token;
    if (name === 'worker') continue;
    const agent = request.agent(ctx.app);
    assert.equal((await signIn(agent, user.username, user.password)).status, 303);
    panel[name] = { agent, csrf: csrfFrom((await agent.get('/users')).text) };
  }
});
after(() => ctx.close());

const auth = (t: request.Test, token: string) => t.set('Authorization', `Bearer ${token}`);
const changeRole = (id: number, role: Role) =>
  auth(request(ctx.app).put(`/api/users/${id}/role`), tokens.admin).send({ role }).expect(200);

/** A fresh account for each case, so no case sees another's changes; promotions go through the API. */
async function target(name: TargetName, actor: ActorName, terminated = false): Promise<number> {
  const make = async (role: Role, createdBy: number | undefined) => (await insertUser(ctx.db, { role, createdBy })).id;
  const id = await {
    owner: () => Promise.resolve(ids.owner),
    self: () => Promise.resolve(ids[actor]),
    otherAdmin: () => make('admin', undefined),
    workerOfM1: () => make('worker', ids.manager1),
    workerOfM2: () => make('worker', ids.manager2),
    workerOfAdmin: () => make('worker', ids.admin),
    managerOfAdmin: () => make('manager', ids.admin),
    promotedOfM1: () => make('worker', ids.manager1),
    demotedOfM1: () => make('worker', ids.manager1),
  }[name]();
  if (name === 'promotedOfM1' || name === 'demotedOfM1') await changeRole(id, 'manager');
  if (name === 'demotedOfM1') await changeRole(id, 'worker');
  if (terminated && name !== 'owner' && name !== 'self') {
    ctx.db.prepare('UPDATE users SET is_active = 0, terminated_at = ?, terminated_by = ? WHERE id = ?').run(new Date().toISOString(), ids.admin, id);
  }
  return id;
}

const COLUMNS = 'id, username, password_hash, role, created_by, is_active, must_change_password, credential_version';
interface UserRow {
  id: number; username: string; password_hash: string; role: Role; created_by: number | null;
  is_active: number; must_change_password: number; credential_version: number;
}
const row = (id: number) => ctx.db.prepare(`SELECT ${COLUMNS} FROM users WHERE id = ?`).get(id) as UserRow;
const snapshot = () => JSON.stringify({
  users: ctx.db.prepare(`SELECT ${COLUMNS}, terminated_at, updated_at FROM users ORDER BY id`).all(),
  events: ctx.db.prepare("SELECT count(*) AS n FROM activity_log WHERE action LIKE 'user.%'").get(),
});

interface Case {
  name: string;
  table: Table;
  terminated?: boolean;
  api: (id: number) => { method: 'get' | 'put' | 'post' | 'delete'; path: string; body?: object };
  panel: (id: number) => { method: 'get' | 'post'; path: string; form?: Record<string, string> };
  /** Rows only this case needs, e.g. accounts the target created for a transfer. */
  arrange?: (id: number) => Promise<number[]>;
  /** What must be true after a success, given the target's row before and the arranged ids. */
  check?: (id: number, before: UserRow, arranged: number[]) => void;
}

const RESET = 'a reset passphrase 99';
const flipped = (id: number): Role => (row(id).role === 'manager' ? 'worker' : 'manager');
const CASES: Case[] = [
  { name: 'read', table: READ, api: (id) => ({ method: 'get', path: `/api/users/${id}` }), panel: (id) => ({ method: 'get', path: `/users/${id}` }) },
  { name: 'update the username of', table: MODIFY,
    api: (id) => ({ method: 'put', path: `/api/users/${id}`, body: { username: `renamed${id}` } }),
    panel: (id) => ({ method: 'post', path: `/users/${id}`, form: { username: `renamed${id}` } }),
    check: (id) => assert.equal(row(id).username, `renamed${id}`) },
  { name: 'reset the password of', table: MODIFY,
    api: (id) => ({ method: 'put', path: `/api/users/${id}`, body: { password: RESET } }),
    panel: (id) => ({ method: 'post', path: `/users/${id}/password`, form: { password: RESET, confirm_password: RESET } }),
    check: (id, before) => {
      assert.equal(row(id).must_change_password, 1);
      assert.notEqual(row(id).password_hash, before.password_hash);
    } },
  { name: 'sign out everywhere', table: MODIFY,
    api: (id) => ({ method: 'post', path: `/api/users/${id}/sign-out` }),
    panel: (id) => ({ method: 'post', path: `/users/${id}/sign-out` }),
    check: (id, before) => assert.equal(row(id).credential_version, before.credential_version + 1) },
  { name: 'change the role of', table: CHANGE_ROLE,
    api: (id) => ({ method: 'put', path: `/api/users/${id}/role`, body: { role: flipped(id) } }),
    panel: (id) => ({ method: 'post', path: `/users/${id}/role`, form: { role: flipped(id) } }),
    check: (id, before) => {
      assert.notEqual(row(id).role, before.role);
      assert.equal(row(id).credential_version, before.credential_version + 1);
    } },
  { name: 'terminate', table: TERMINATE,
    api: (id) => ({ method: 'delete', path: `/api/users/${id}` }),
    panel: (id) => ({ method: 'post', path: `/users/${id}/terminate` }),
    check: (id) => assert.equal(row(id).is_active, 0) },
  { name: 'reactivate', table: MODIFY, terminated: true,
    api: (id) => ({ method: 'put', path: `/api/users/${id}`, body: { is_active: true } }),
    panel: (id) => ({ method: 'post', path: `/users/${id}/reactivate` }),
    check: (id) => assert.equal(row(id).is_active, 1) },
  { name: 'hand over the accounts of', table: TRANSFER,
    api: (id) => ({ method: 'post', path: `/api/users/${id}/transfer`, body: { manager_id: ids.receiver } }),
    panel: (id) => ({ method: 'post', path: `/users/${id}/transfer`, form: { manager_id: String(ids.receiver) } }),
    // A worker and a promoted account created by the target: only the worker may ever move.
    arrange: async (id) => [(await insertUser(ctx.db, { role: 'worker', createdBy: id })).id, (await insertUser(ctx.db, { role: 'manager', createdBy: id })).id],
    check: (_id, before, [worker, promoted]) => {
      assert.equal(row(worker!).created_by, ids.receiver);
      assert.equal(row(promoted!).created_by, before.id, 'a manager is never handed over');
    } },
];

async function sendApi(c: Case, actor: ActorName, id: number) {
  const { method, path, body } = c.api(id);
  const req = auth(request(ctx.app)[method](path), tokens[actor]);
  return body ? req.send(body) : req;
}

async function sendPanel(c: Case, actor: ActorName, id: number) {
  const { agent, csrf } = panel[actor as keyof typeof panel];
  const { method, path, form } = c.panel(id);
  return method === 'get' ? agent.get(path) : agent.post(path).type('form').send({ _csrf: csrf, ...form });
}

// The panel answers a success with 303 (Post/Redirect/Get) and has no page for workers.
const SURFACES = [
  { name: 'API', actors: ['owner', 'admin', 'manager1', 'manager2', 'worker'] as ActorName[], send: sendApi, ok: () => 200 },
  { name: 'panel', actors: ['owner', 'admin', 'manager1', 'manager2'] as ActorName[], send: sendPanel, ok: (c: Case) => (c.name === 'read' ? 200 : 303) },
];

for (const surface of SURFACES) {
  for (const c of CASES) {
    describe(`${surface.name}: who may ${c.name} whom`, () => {
      for (const actor of surface.actors) {
        for (const targetName of Object.keys(c.table[actor]) as TargetName[]) {
          const expected = c.table[actor][targetName] === 200 ? surface.ok(c) : c.table[actor][targetName];
          test(`${actor} ${expected < 400 ? 'can' : 'cannot'} ${c.name} ${targetName} (${expected})`, async () => {
            const id = await target(targetName, actor, c.terminated);
            const arranged = (await c.arrange?.(id)) ?? [];
            const [before, dbBefore] = [row(id), snapshot()];
            const res = await surface.send(c, actor, id);
            assert.equal(res.status, expected, res.text.slice(0, 300));
            if (expected < 400) return c.check?.(id, before, arranged);
            if (surface.name === 'API') {
              assert.equal(typeof res.body.error, 'string');
              assert.equal(res.body.username, undefined, 'a refusal carries no user data');
            }
            assert.equal(snapshot(), dbBefore, 'a refusal changes nothing');
          });
        }
      }
    });
  }
}

describe('who may create which role', () => {
  const CREATE: Record<ActorName, Record<Role, number>> = {
    owner: { worker: 201, manager: 201, admin: 403 },
    admin: { worker: 201, manager: 201, admin: 403 },
    manager1: { worker: 201, manager: 403, admin: 403 },
    manager2: { worker: 201, manager: 403, admin: 403 },
    worker: { worker: 403, manager: 403, admin: 403 },
  };
  for (const actor of Object.keys(CREATE) as ActorName[]) {
    for (const role of Object.keys(CREATE[actor]) as Role[]) {
      const expected = CREATE[actor][role];
      test(`${actor} ${expected === 201 ? 'can' : 'cannot'} create a ${role} (${expected})`, async () => {
        const before = snapshot();
        const username = `new-${role}-${actor}`;
        const res = await auth(request(ctx.app).post('/api/users'), tokens[actor]).send({ username, password: 'a fresh passphrase 11', role });
        assert.equal(res.status, expected, JSON.stringify(res.body));
        if (expected === 201) {
          assert.deepEqual(res.body, { message: 'User created successfully', user: { id: res.body.user.id, username, role, created_by: ids[actor] } });
        } else {
          if (role === 'admin' && actor !== 'worker') assert.deepEqual(res.body.error, "Cannot create user with role 'admin'");
          assert.equal(snapshot(), before);
        }
      });
    }
  }
});
