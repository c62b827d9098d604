import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import request from 'supertest';
import { loadConfig } from '../src/config.js';
import { writeTransaction } from '../src/db.js';
import { PERMISSIONS } from '../src/domain/permissions.js';
import { createActivityLog, UnlockedAppend } from '../src/features/activity/activity-log.service.js';
import { csrfFrom, insertUser, makeTestApp, signIn, tempDir, TEST_SESSION_SECRET, type TestContext } from './helpers.js';
import { ROOT } from './process.js';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean>; stack: Array<{ handle: { action?: string } }> };
  handle: { stack?: Layer[] };
  rawPath?: unknown;
}
interface RouteEntry { key: string; actions: string[] }

const join = (prefix: string, p: string) => prefix.replace(/\/$/, '') + (p === '/' ? '' : p) || '/';
const pathsOf = (raw: unknown): string[] => (Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? [raw] : ['/']);

/** Every route of the app with the actions its guards name, read from Express 5's router stacks. */
function routeTable(stack: Layer[], prefix = '', out: RouteEntry[] = []): RouteEntry[] {
  for (const layer of stack) {
    if (layer.route) {
      const actions = layer.route.stack.map((l) => l.handle.action).filter((a): a is string => typeof a === 'string');
      for (const p of pathsOf(layer.route.path)) {
        for (const method of Object.keys(layer.route.methods)) out.push({ key: `${method === '_all' ? 'ALL' : method.toUpperCase()} ${join(prefix, p)}`, actions });
      }
    } else if (Array.isArray(layer.handle.stack)) {
      for (const p of pathsOf(layer.rawPath)) routeTable(layer.handle.stack, join(prefix, p), out);
    }
  }
  return out;
}

let ctx: TestContext;
before(async () => {
  ctx = await makeTestApp({ LOG_REQUESTS: 'false' });
});
after(() => ctx.close());

describe('the route table', () => {
  const PROBES = new Set(['GET /health', 'GET /ready', 'GET /metrics']);

  test('every route of both surfaces names exactly one action of the permission table; the probes and 405 answers name none', () => {
    const routes = routeTable((ctx.app as unknown as { router: { stack: Layer[] } }).router.stack);
    assert.ok(routes.length > 50, `found ${routes.length} routes`);
    const unguarded = routes.filter((r) => !PROBES.has(r.key) && !r.key.startsWith('ALL ') && r.actions.length !== 1);
    assert.deepEqual(unguarded, [], 'routes without exactly one guard');
    const unknown = routes.filter((r) => r.actions.some((a) => !(a in PERMISSIONS)));
    assert.deepEqual(unknown, [], 'guards naming an action the table does not have');
    const probes = routes.filter((r) => PROBES.has(r.key) || r.key.startsWith('ALL '));
    assert.ok(probes.length >= 3 && probes.every((r) => r.actions.length === 0), 'the probes and 405 fallbacks look nothing up');
  });

  test('every action of the table is used by some route or decision, so none is left over', () => {
    const routes = routeTable((ctx.app as unknown as { router: { stack: Layer[] } }).router.stack);
    const named = new Set(routes.flatMap((r) => r.actions));
    // Decided outside a route guard: backups.view (the dashboard's backup card) and the panel's entry rule.
    const decidedElsewhere = new Set(['backups.view', 'panel.enter']);
    const unused = Object.keys(PERMISSIONS).filter((a) => !named.has(a) && !decidedElsewhere.has(a));
    assert.deepEqual(unused, []);
  });
});

describe('reading never writes', () => {
  test('every GET of both surfaces, as an admin, leaves security.db untouched', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin', isOwner: false });
    const worker = await insertUser(ctx.db, { role: 'worker', createdBy: admin.id });
    const token = (await request(ctx.app).post('/auth/login').send({ username: admin.username, password: admin.password })).body.access_token as string;
    const agent = request.agent(ctx.app);
    await signIn(agent, admin.username, admin.password);
    await request(ctx.app).post('/api/messages/log').set('Authorization', `Bearer ${token}`).send({ recipient_phone: '+34600000001' }).expect(201);

    const routes = routeTable((ctx.app as unknown as { router: { stack: Layer[] } }).router.stack)
      .filter((r) => r.key.startsWith('GET ') && r.key !== 'GET /ready' && r.key !== 'GET /login')
      .map((r) => r.key.slice(4).replace(':id', String(worker.id)));
    assert.ok(routes.length >= 20, routes.join(' '));
    // PRAGMA data_version moves when any other connection commits to the file.
    const observer = new Database(path.join(ctx.dir, 'security.db'), { readonly: true });
    try {
      const version = () => observer.pragma('data_version', { simple: true }) as number;
      const before = version();
      for (const url of routes) {
        const api = /^\/(api|auth)\//.test(url);
        const res = api ? await request(ctx.app).get(url).set('Authorization', `Bearer ${token}`) : await agent.get(url);
        assert.ok(res.status < 400, `${url} answered ${res.status}`);
      }
      assert.equal(version(), before, 'a GET committed a write');
    } finally {
      observer.close();
    }
  });
});

describe('the activity log\'s locking rule', () => {
  test('an append inside a deferred transaction is refused and writes nothing; inside a write transaction it commits or rolls back with the change', () => {
    const settings = loadConfig({ NODE_ENV: 'test', DATA_DIR: ctx.dir, SESSION_SECRET: TEST_SESSION_SECRET }).activity;
    const activityLog = createActivityLog({ db: ctx.db, settings, clock: () => ctx.clock.now });
    const rows = () => ctx.db.prepare('SELECT count(*) FROM activity_log').pluck().get() as number;
    const before = rows();
    assert.throws(() => ctx.db.transaction(() => activityLog.append({ action: 'logout', outcome: 'success', detail: { test: 'deferred' } }))(), UnlockedAppend);
    assert.equal(rows(), before);
    assert.throws(() => writeTransaction(ctx.db, () => {
      activityLog.append({ action: 'logout', outcome: 'success', detail: { test: 'rolled back' } });
      throw new Error('the change fails');
    }), /the change fails/);
    assert.equal(rows(), before, 'the row went with the change');
    writeTransaction(ctx.db, () => activityLog.append({ action: 'logout', outcome: 'success', detail: { test: 'committed' } }));
    assert.equal(rows(), before + 1);
    assert.throws(() => ctx.db.transaction(() => writeTransaction(ctx.db, () => 1))(), /inside a deferred transaction/);
    assert.equal(ctx.services.activity.verifyChain(), null, 'the chain still verifies');
  });
});

describe('forms', () => {
  test('a refused form shows every message at once, beside each field', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const agent = request.agent(ctx.app);
    await signIn(agent, admin.username, admin.password);
    const page = await agent.get('/users/new');
    const res = await agent.post('/users').type('form')
      .send({ _csrf: csrfFrom(page.text), username: 'x', password: 'one passphrase here', confirm_password: 'another one', role: 'emperor' });
    assert.equal(res.status, 400);
    assert.match(res.text, /id="role-error">Choose a role/);
    assert.match(res.text, /id="confirm_password-error">The two passwords do not match/);
    assert.match(res.text, /value="x"/, 'the username typed is shown again');
  });
});

describe('the dependency rules', () => {
  const run = promisify(execFile);
  const files: Record<string, string> = {
    'src/features/users/users.repo.ts': 'export const repo = 1;\n',
    'src/features/users/users.service.ts': 'export const service = 1;\n',
    'src/app.ts': 'export const app = 1;\n',
    'test/helpers.ts': 'export const helper = 1;\n',
    // Each file below breaks one rule; the last one breaks none.
    'src/http/leak.ts': "import { repo } from '../features/users/users.repo.js';\nexport const leak = repo;\n",
    'src/features/contacts/contacts.service.ts': "import { repo } from '../users/users.repo.js';\nexport const c = repo;\n",
    'src/domain/roles.ts': "import { leak } from '../http/leak.js';\nexport const roles = leak;\n",
    'src/features/users/users.routes.ts': "import { app } from '../../app.js';\nexport const routes = app;\n",
    'src/http/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
    'src/http/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
    'src/features/users/users.api.ts': "import { helper } from '../../../test/helpers.js';\nexport const api = helper;\n",
    'src/features/messages/messages.service.ts': "import { service } from '../users/users.service.js';\nexport const m = service;\n",
  };

  test('each rule fails the build on its forbidden case, and a feature may still use another through its service', async () => {
    const dir = tempDir();
    fs.copyFileSync(path.join(ROOT, '.dependency-cruiser.cjs'), path.join(dir, '.dependency-cruiser.cjs'));
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
    const cli = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
    const result = await run(process.execPath, [cli, 'src', '--config', '.dependency-cruiser.cjs'], { cwd: dir })
      .then(() => ({ code: 0, stdout: '' }), (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }));
    assert.notEqual(result.code, 0, 'violations fail the command');
    // "  error <rule>: <from> → <to>"
    const found = [...result.stdout.matchAll(/^\s*error ([a-z-]+): (\S+)/gm)].map((m) => `${m[1]}: ${m[2]}`);
    for (const expected of [
      'plumbing-imports-no-feature: src/http/leak.ts',
      'features-meet-through-services: src/features/contacts/contacts.service.ts',
      'domain-stands-alone: src/domain/roles.ts',
      'nothing-imports-the-top: src/features/users/users.routes.ts',
      'no-circular: src/http/a.ts',
      'src-imports-no-tests-or-tools: src/features/users/users.api.ts',
    ]) assert.ok(found.includes(expected), `${expected} in:\n${found.join('\n')}`);
    assert.ok(!found.some((f) => f.endsWith('src/features/messages/messages.service.ts')), 'a service import is allowed');
  });
});
