import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { Role } from '../src/features/users/users.repo.js';
import { insertUser, makeTestApp, type TestContext } from './helpers.js';

// Expected statuses written out by hand (not derived from the code under test).
type ActorName = 'owner' | 'admin' | 'manager1' | 'manager2' | 'worker';
type TargetName = 'owner' | 'otherAdmin' | 'self' | 'workerOfM1' | 'workerOfM2' | 'workerOfAdmin' | 'managerOfAdmin';
type Row = Record<TargetName, number>;
const all = (status: number): Row => ({ owner: status, otherAdmin: status, self: status, workerOfM1: status, workerOfM2: status, workerOfAdmin: status, managerOfAdmin: status });

const READ: Record<ActorName, Row> = {
  owner: all(200),
  admin: all(200),
  manager1: { ...all(404), self: 200, workerOfM1: 200 },
  manager2: { ...all(404), self: 200, workerOfM2: 200 },
  worker: all(403),
};
const MODIFY: Record<ActorName, Row> = {
  owner: { ...all(200), owner: 403, self: 403 },
  admin: { ...all(200), owner: 403, otherAdmin: 403, self: 403 },
  manager1: { ...all(404), self: 403, workerOfM1: 200 },
  manager2: { ...all(404), self: 403, workerOfM2: 200 },
  worker: all(403),
};
const TERMINATE: Record<ActorName, Row> = {
  owner: { ...MODIFY.owner, owner: 400, self: 400 },
  admin: { ...MODIFY.admin, self: 400 },
  manager1: { ...MODIFY.manager1, self: 400 },
  manager2: { ...MODIFY.manager2, self: 400 },
  worker: all(403),
};
const CHANGE_ROLE: Record<ActorName, Row> = {
  owner: { ...all(200), owner: 403, otherAdmin: 403, self: 403 },
  admin: { ...all(200), owner: 403, otherAdmin: 403, self: 403 },
  manager1: all(403),
  manager2: all(403),
  worker: all(403),
};

let ctx: TestContext;
const ids = {} as Record<ActorName, number>;
const tokens = {} as Record<ActorName, string>;

async function tokenFor(username: string, password: string): Promise<string> {
  const res = await request(ctx.app).post('/auth/login').send({ username, password });
  assert.equal(res.status, 200, `login ${username}`);
  return res.body.access_token;
}

before(async () => {
  ctx = await makeTestApp({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000' });
  const owner = await insertUser(ctx.db, { role: 'admin', isOwner: true });
  const admin = await insertUser(ctx.db, { role: 'admin' });
  const manager1 = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
  const manager2 = await insertUser(ctx.db, { role: 'manager', createdBy: admin.id });
  const worker = await insertUser(ctx.db, { role: 'worker', createdBy: manager1.id });
  for (const [name, user] of Object.entries({ owner, admin, manager1, manager2, worker }) as Array<[ActorName, { id: number; username: string; password: string }]>) {
    ids[name] = user.id;
    tokens[name] = await tokenFor(user.username, user.password);
  }
});
after(() => ctx.close());

/** A fresh account for each case, so no case sees another's changes. */
async function target(name: TargetName, actor: ActorName, terminated = false): Promise<number> {
  const make = async (role: Role, createdBy: number | undefined) => (await insertUser(ctx.db, { role, createdBy })).id;
  const id = {
    owner: async () => ids.owner,
    self: async () => ids[actor],
    otherAdmin: () => make('admin', undefined),
    workerOfM1: () => make('worker', ids.manager1),
    workerOfM2: () => make('worker', ids.manager2),
    workerOfAdmin: () => make('worker', ids.admin),
    managerOfAdmin: () => make('manager', ids.admin),
  }[name]();
  const resolved = await id;
  if (terminated && name !== 'owner' && name !== 'self') {
    ctx.db.prepare('UPDATE users SET is_active = 0, terminated_at = ?, terminated_by = ? WHERE id = ?').run(new Date().toISOString(), ids.admin, resolved);
  }
  return resolved;
}

const snapshot = () => JSON.stringify({
  users: ctx.db.prepare('SELECT * FROM users ORDER BY id').all(),
  events: ctx.db.prepare("SELECT count(*) AS n FROM activity_log WHERE action LIKE 'user.%'").get(),
});

interface Case {
  name: string;
  table: Record<ActorName, Row>;
  terminated?: boolean;
  send: (id: number, token: string, targetName: TargetName) => request.Test;
  /** What must be true of the target after a success. */
  check?: (id: number) => void;
}

const auth = (t: request.Test, token: string) => t.set('Authorization', `Bearer ${token}`);
const row = (id: number) => ctx.db.prepare('SELECT username, role, is_active, must_change_password, credential_version FROM users WHERE id = ?').get(id) as
  { username: string; role: Role; is_active: number; must_change_password: number; credential_version: number };

const CASES: Case[] = [
  { name: 'read', table: READ, send: (id, token) => auth(request(ctx.app).get(`/api/users/${id}`), token) },
  { name: 'update the username of', table: MODIFY, send: (id, token) => auth(request(ctx.app).put(`/api/users/${id}`), token).send({ username: `renamed${id}` }),
    check: (id) => assert.equal(row(id).username, `renamed${id}`) },
  { name: 'reset the password of', table: MODIFY, send: (id, token) => auth(request(ctx.app).put(`/api/users/${id}`), token).send({ password: 'a reset passphrase 99' }),
    check: (id) => assert.equal(row(id).must_change_password, 1) },
  { name: 'sign out everywhere', table: MODIFY, send: (id, token) => auth(request(ctx.app).post(`/api/users/${id}/sign-out`), token),
    check: (id) => assert.equal(row(id).credential_version, 2) },
  { name: 'change the role of', table: CHANGE_ROLE, send: (id, token, t) => auth(request(ctx.app).put(`/api/users/${id}/role`), token).send({ role: t === 'managerOfAdmin' ? 'worker' : 'manager' }),
    check: (id) => assert.equal(row(id).credential_version, 2) },
  { name: 'terminate', table: TERMINATE, send: (id, token) => auth(request(ctx.app).delete(`/api/users/${id}`), token),
    check: (id) => assert.equal(row(id).is_active, 0) },
  { name: 'reactivate', table: MODIFY, terminated: true, send: (id, token) => auth(request(ctx.app).put(`/api/users/${id}`), token).send({ is_active: true }),
    check: (id) => assert.equal(row(id).is_active, 1) },
];

for (const c of CASES) {
  describe(`who may ${c.name} whom`, () => {
    for (const actor of Object.keys(c.table) as ActorName[]) {
      for (const targetName of Object.keys(c.table[actor]) as TargetName[]) {
        const expected = c.table[actor][targetName];
        test(`${actor} ${expected < 300 ? 'can' : 'cannot'} ${c.name} ${targetName} (${expected})`, async () => {
          const id = await target(targetName, actor, c.terminated);
          const before = snapshot();
          const res = await c.send(id, tokens[actor], targetName);
          assert.equal(res.status, expected, JSON.stringify(res.body));
          if (expected >= 400) {
            assert.equal(typeof res.body.error, 'string');
            assert.equal(res.body.username, undefined, 'a refusal carries no user data');
            assert.equal(snapshot(), before, 'a refusal changes nothing');
          } else {
            c.check?.(id);
          }
        });
      }
    }
  });
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
