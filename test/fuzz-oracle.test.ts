import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Response } from 'supertest';
import { openDatabase } from '../src/db.js';
import { changedTables, snapshot } from './fuzz/digest.js';
import { fuzzRoute } from './fuzz/harness.js';
import { answerProblems } from './fuzz/oracle.js';
import { API_ROUTES, mountedRoutes, PANEL_ROUTES } from './fuzz/routes.js';
import { createFuzzWorld } from './fuzz/world.js';
import { insertUser, makeTestApp } from './helpers.js';

// The fuzz passes only if its checks can fail: each one is shown failing here.

const answer = (status: number, text: string, type = 'application/json; charset=utf-8'): Response =>
  ({ status, text, headers: { 'content-type': type }, body: type.startsWith('application/json') ? safeJson(text) : {} }) as unknown as Response;
function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}
const sent = (body = '') => ({ method: 'POST', url: '/api/users', body });

describe('the fuzz oracle', () => {
  test('flags a 5xx, a stack trace, SQL, a password hash, a secret and an API refusal that is not JSON', () => {
    const secrets = ['eyJ.secret.token'];
    const cases: Array<[Response, RegExp]> = [
      [answer(500, '{"error":"x"}'), /answered 500/],
      [answer(400, '{"error":"Error: x\\n    at handler (/app/src/users.ts:12:5)"}'), /stack trace/],
      [answer(400, '{"error":"SqliteError: no such column: broken"}'), /SQL in the answer/],
      [answer(200, '{"hash":"$argon2id$v=19$m=19456"}'), /password hash/],
      [answer(200, '{"token":"eyJ.secret.token"}'), /a secret/],
      [answer(404, '<h1>Not found</h1>', 'text/html'), /not JSON/],
    ];
    for (const [res, problem] of cases) assert.match(answerProblems(res, sent(), 'api', secrets).join('\n'), problem);
    assert.match(answerProblems(answer(403, '{"error":"no"}'), sent(), 'panel', []).join('\n'), /not a page/);
  });

  test('does not mistake input quoted back for a leak, nor a clean refusal for a problem', () => {
    const echoed = answer(400, '{"error":"Unknown field: SELECT name FROM users"}');
    assert.deepEqual(answerProblems(echoed, sent('{"SELECT name FROM users":1}'), 'api', []), []);
    assert.deepEqual(answerProblems(answer(400, '{"error":"username is required"}'), sent(), 'api', []), []);
  });

  test('the digest sees any changed table, but not the denied record a refusal itself writes', async () => {
    const ctx = await makeTestApp();
    try {
      const before = snapshot(ctx.db);
      ctx.db.prepare('INSERT INTO activity_log (at, action, outcome, prev_hash, hash) VALUES (\'2024-01-01T00:00:00Z\', \'access.denied\', \'denied\', \'a\', \'b\')').run();
      assert.deepEqual(changedTables(before, snapshot(ctx.db)), []);
      ctx.db.prepare('INSERT INTO activity_log (at, action, outcome, prev_hash, hash) VALUES (\'2024-01-01T00:00:00Z\', \'user.create\', \'success\', \'b\', \'c\')').run();
      assert.deepEqual(changedTables(before, snapshot(ctx.db)).sort(), ['activity_daily', 'activity_log']);
      const user = await insertUser(ctx.db, { role: 'worker' });
      const users = snapshot(ctx.db);
      ctx.db.prepare('UPDATE users SET must_change_password = 1 WHERE id = ?').run(user.id);
      assert.deepEqual(changedTables(users, snapshot(ctx.db, users)), ['users']);
      // A write through another connection (contacts and messages have their own) is seen too.
      const other = openDatabase(path.join(ctx.dir, 'security.db'));
      const unchanged = snapshot(ctx.db);
      other.prepare('UPDATE users SET must_change_password = 0 WHERE id = ?').run(user.id);
      other.close();
      assert.deepEqual(changedTables(unchanged, snapshot(ctx.db, unchanged)), ['users']);
    } finally {
      await ctx.close();
    }
  });

  test('a route mounted without a fuzz entry is noticed', async () => {
    const ctx = await makeTestApp();
    try {
      ctx.app.post('/api/unfuzzed', (_req, res) => res.json({}));
      const known = new Set([...API_ROUTES, ...PANEL_ROUTES].map((r) => r.key));
      assert.deepEqual(mountedRoutes(ctx.app).filter((k) => !known.has(k)), ['POST /api/unfuzzed']);
    } finally {
      await ctx.close();
    }
  });

  test('a route that answers 500 fails its property, naming the case and the logged error', async () => {
    const world = await createFuzzWorld();
    try {
      world.ctx.db.exec('ALTER TABLE users RENAME COLUMN is_active TO broken_column');
      const me = API_ROUTES.find((r) => r.key === 'GET /auth/me')!;
      await assert.rejects(fuzzRoute(world, me, { numRuns: 20, seed: 1, collect: false }), /→ 500: answered 500.*unhandled error/s);
    } finally {
      await world.close();
    }
  });
});
