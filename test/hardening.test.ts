import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import request from 'supertest';
import { describeError } from '../src/errors.js';
import { count, csrfFrom, insertUser, makeTestApp, signIn, type TestContext } from './helpers.js';

let ctx: TestContext;
before(async () => {
  ctx = await makeTestApp();
});
after(() => ctx.close());

describe('security headers', () => {
  test('pages carry a strict CSP and the usual hardening headers, without X-Powered-By', async () => {
    const res = await request(ctx.app).get('/login');
    const csp = res.headers['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /object-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'same-origin', 'no referrer to other sites; our own posts keep their Origin');
    assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(res.headers['x-powered-by'], undefined);
    assert.match(res.headers['cache-control'] ?? '', /no-store/);
  });

  test('the session cookie is HttpOnly, SameSite=Lax, under its own name, and not Secure in development', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const res = await signIn(request.agent(ctx.app), admin.username, admin.password);
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('nexus.sid=')) ?? '';
    assert.match(cookie, /^nexus\.sid=/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.doesNotMatch(cookie, /Secure/);
  });

  test('in production behind a trusted proxy the cookie is Secure with the __Host- prefix, and HSTS is sent', async () => {
    const prod = await makeTestApp({ NODE_ENV: 'production', TRUST_PROXY: '1' });
    try {
      const admin = await insertUser(prod.db, { role: 'admin' });
      const page = await request(prod.app).get('/login').set('X-Forwarded-Proto', 'https');
      assert.match(page.headers['strict-transport-security'] ?? '', /max-age=31536000/);
      const formCookie = ([] as string[]).concat(page.headers['set-cookie'] ?? [])[0]!.split(';')[0]!;
      const res = await request(prod.app).post('/login').set('X-Forwarded-Proto', 'https').set('Cookie', formCookie).type('form')
        .send({ _csrf: csrfFrom(page.text), username: admin.username, password: admin.password });
      assert.equal(res.status, 303);
      const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('__Host-nexus.sid=')) ?? '';
      assert.match(cookie, /^__Host-nexus\.sid=/);
      assert.match(cookie, /; Secure/);
      const plain = await request(prod.app).post('/login').set('Cookie', formCookie).type('form')
        .send({ _csrf: csrfFrom(page.text), username: admin.username, password: admin.password });
      assert.ok(!([] as string[]).concat(plain.headers['set-cookie'] ?? []).some((c) => c.includes('nexus.sid=')), 'no session cookie over plain HTTP');
    } finally {
      await prod.close();
    }
  });
});

describe('errors', () => {
  test('unknown JSON routes answer a JSON 404', async () => {
    for (const url of ['/api/nothing', '/auth/nothing']) {
      const res = await request(ctx.app).get(url);
      assert.equal(res.status, 404);
      assert.match(res.headers['content-type'] ?? '', /application\/json/);
      assert.equal(res.body.error, 'Not found');
    }
  });

  test('malformed JSON answers 400 and an oversized JSON body 413, both as JSON without a stack', async () => {
    const bad = await request(ctx.app).post('/auth/login').set('Content-Type', 'application/json').send('{"broken":');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'Malformed JSON body');
    const big = await request(ctx.app).post('/auth/login').set('Content-Type', 'application/json')
      .send(JSON.stringify({ username: 'someone', password: 'x'.repeat(64 * 1024) }));
    assert.equal(big.status, 413);
    assert.equal(big.body.error, 'Request body too large');
    for (const res of [bad, big]) assert.doesNotMatch(res.text, /at .*\.(js|ts):\d+/);
  });

  test('unknown pages answer an HTML 404 in the layout', async () => {
    const res = await request(ctx.app).get('/no/such/page');
    assert.equal(res.status, 404);
    assert.match(res.headers['content-type'] ?? '', /text\/html/);
    assert.match(res.text, /<h1>Page not found<\/h1>/);
  });

  test('an oversized form answers 413 as a page', async () => {
    const res = await request(ctx.app).post('/login').type('form').send({ username: 'a', password: 'x'.repeat(40 * 1024) });
    assert.equal(res.status, 413);
    assert.match(res.text, /Request too large/);
  });

  test('an unexpected failure shows a generic page with a reference, never the error itself', async () => {
    const own = await makeTestApp();
    try {
      const admin = await insertUser(own.db, { role: 'admin' });
      const agent = request.agent(own.app);
      await signIn(agent, admin.username, admin.password);
      own.db.exec('ALTER TABLE users RENAME COLUMN is_active TO broken_column');
      const res = await agent.get('/dashboard');
      assert.equal(res.status, 500);
      assert.match(res.text, /Something went wrong/);
      assert.match(res.text, new RegExp(res.headers['x-request-id']!));
      assert.doesNotMatch(res.text, /SqliteError|no such column|broken_column|at .*\.ts:\d+/);
      assert.ok(own.logLines.some((l) => l.includes('"unhandled error"') && l.includes(res.headers['x-request-id']!)));
    } finally {
      await own.close();
    }
  });
});

describe('health and logs', () => {
  test('GET /health reports healthy after asking the database', async () => {
    const res = await request(ctx.app).get('/health');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'healthy', service: 'security-backend' });
  });

  test('request logs are structured and never contain passwords, cookies or CSRF tokens', async () => {
    const own = await makeTestApp({ LOG_REQUESTS: 'true' });
    try {
      const admin = await insertUser(own.db, { role: 'admin' });
      const agent = request.agent(own.app);
      const page = await agent.get('/login?next=secret-query-value');
      const token = csrfFrom(page.text);
      await agent.post('/login').type('form').send({ _csrf: token, username: admin.username, password: 'a wrong password here' });
      const login = await agent.post('/login').type('form').send({ _csrf: token, username: admin.username, password: admin.password });
      const cookie = ([] as string[]).concat(login.headers['set-cookie'] ?? [])[0]!.split(';')[0]!.split('=')[1]!;
      const log = own.logLines.join('\n');
      assert.ok(own.logLines.length >= 3);
      for (const line of own.logLines) JSON.parse(line);
      assert.match(log, /"path":"\/login"/);
      for (const secret of [admin.password, 'a wrong password here', token, cookie, decodeURIComponent(cookie), 'secret-query-value']) {
        assert.ok(!log.includes(secret), 'log leaks a secret');
      }
    } finally {
      await own.close();
    }
  });
});

describe('hostile transport (issue 9, item 6)', () => {
  const usersRow = () => JSON.stringify(ctx.db.prepare('SELECT * FROM users ORDER BY id').all());
  const unhandled = () => ctx.logLines.filter((l) => l.includes('"unhandled error"')).length;
  const adminToken = async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    return (await request(ctx.app).post('/auth/login').send({ username: admin.username, password: admin.password })).body.access_token as string;
  };
  const signedInAdmin = async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const agent = request.agent(ctx.app);
    await signIn(agent, admin.username, admin.password);
    return { agent, csrf: csrfFrom((await agent.get('/users/new')).text) };
  };
  // Valid bodies once inflated: were any of them decompressed, a user would be created.
  const encodings: Array<[string, (b: string) => Buffer | string]> = [
    ['gzip', (b) => zlib.gzipSync(b)], ['deflate', (b) => zlib.deflateSync(b)], ['br', (b) => zlib.brotliCompressSync(b)],
    ['GZIP', (b) => zlib.gzipSync(b)], ['gzip', (b) => b], ['zstd', (b) => b], ['compress', (b) => b], ['gzip, identity', (b) => b],
  ];

  test('a compressed or oddly encoded JSON body answers 415 and creates nothing', async () => {
    const token = await adminToken();
    const before = usersRow();
    for (const [encoding, encode] of encodings) {
      const body = JSON.stringify({ username: 'zipped-user', password: 'another long passphrase 9', role: 'worker' });
      const res = await request(ctx.app).post('/api/users').set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'application/json').set('Content-Encoding', encoding).send(encode(body));
      assert.equal(res.status, 415, encoding);
      assert.equal(res.body.code, 'unsupported_encoding');
      assert.equal(res.headers['accept-encoding'], 'identity');
    }
    assert.equal(usersRow(), before);
    assert.equal(unhandled(), 0);
  });

  test('a compressed form answers 415 as a page and creates nothing', async () => {
    const { agent, csrf } = await signedInAdmin();
    const before = usersRow();
    for (const [encoding, encode] of encodings) {
      const form = new URLSearchParams({ _csrf: csrf, username: 'zipped-form', password: 'x long passphrase 77', confirm_password: 'x long passphrase 77', role: 'worker' });
      const res = await agent.post('/users').set('X-CSRF-Token', csrf).type('form').set('Content-Encoding', encoding).send(encode(form.toString()));
      assert.equal(res.status, 415, encoding);
      assert.match(res.text, /<h1>Unsupported request<\/h1>/);
    }
    assert.equal(usersRow(), before);
    assert.equal(unhandled(), 0);
  });

  test('identity, or no Content-Encoding, is still accepted', async () => {
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const res = await request(ctx.app).post('/auth/login').set('Content-Encoding', 'Identity').send({ username: admin.username, password: admin.password });
    assert.equal(res.status, 200);
  });

  test('a malformed percent-escape in a path id answers 400 on both surfaces and changes nothing', async () => {
    const token = await adminToken();
    const { agent, csrf } = await signedInAdmin();
    const before = usersRow();
    const successes = count(ctx.db, 'SELECT count(*) AS n FROM activity_log WHERE outcome = \'success\'');
    const api = [['get', '/api/users/%'], ['get', '/api/users/%zz'], ['delete', '/api/users/%'], ['put', '/api/users/%E0%A4%A/role'],
      ['post', '/api/users/%/sign-out'], ['post', '/api/activity/flags/%/acknowledge']] as const;
    for (const [method, url] of api) {
      const res = await request(ctx.app)[method](url).set('Authorization', `Bearer ${token}`).send({ role: 'worker' });
      assert.equal(res.status, 400, url);
      assert.equal(typeof res.body.error, 'string');
    }
    for (const [method, url] of [['get', '/users/%'], ['get', '/users/%zz/terminate'], ['post', '/users/%/terminate'], ['post', '/activity/flags/%/acknowledge']] as const) {
      const res = await agent[method](url).set('X-CSRF-Token', csrf).type('form').send({ _csrf: csrf });
      assert.equal(res.status, 400, url);
      assert.match(res.text, /<h1>Bad request<\/h1>/);
    }
    assert.equal(usersRow(), before);
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM activity_log WHERE outcome = \'success\''), successes);
    assert.equal(unhandled(), 0);
  });

  test('errors that carry a 4xx status keep it, in our words; anything else is a generic 500', () => {
    const keep = (err: unknown) => describeError(err);
    assert.deepEqual([keep({ status: 404 }).status, keep({ statusCode: 429 }).status, keep(Object.assign(new Error('teapot'), { status: 418 })).status], [404, 429, 418]);
    assert.equal(keep(Object.assign(new Error('SELECT secret FROM users'), { status: 400 })).message, 'Bad request');
    assert.equal(keep(Object.assign(new URIError('Failed to decode param'), { status: 400 })).code, 'bad_url');
    assert.equal(keep(Object.assign(new Error('incorrect header check'), { status: 400, code: 'Z_DATA_ERROR' })).status, 415);
    assert.equal(keep(Object.assign(new Error('x'), { status: 403, code: 'EBADCSRFTOKEN' })).code, 'csrf');
    for (const bug of [new Error('boom'), { status: 503 }, { status: '400' }, { status: 400.5 }, { status: 200 }, null, undefined, 'text', 42]) {
      assert.deepEqual(keep(bug), { status: 500, message: 'Something went wrong on our side', code: 'internal', unexpected: true });
    }
  });

  test('an unexpected API failure answers a generic 500 and writes exactly one log line with the request id', async () => {
    const own = await makeTestApp({ LOG_REQUESTS: 'false' });
    try {
      const admin = await insertUser(own.db, { role: 'admin' });
      const login = await request(own.app).post('/auth/login').send({ username: admin.username, password: admin.password });
      own.db.exec('ALTER TABLE users RENAME COLUMN is_active TO broken_column');
      const res = await request(own.app).get('/api/users').set('Authorization', `Bearer ${login.body.access_token as string}`);
      assert.equal(res.status, 500);
      assert.deepEqual(res.body, { error: 'Something went wrong on our side', code: 'internal' });
      const lines = own.logLines.filter((l) => l.includes(res.headers['x-request-id']!));
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /"unhandled error"/);
    } finally {
      await own.close();
    }
  });

  test('a failure after a streamed answer has begun cuts the connection, logged once, instead of leaving it hanging', async () => {
    const own = await makeTestApp({ LOG_REQUESTS: 'false' });
    try {
      const admin = await insertUser(own.db, { role: 'admin' });
      const agent = request.agent(own.app);
      await signIn(agent, admin.username, admin.password);
      // The CSV header goes out before the first rows are read; reading them then fails.
      own.db.exec('ALTER TABLE contacts RENAME TO contacts_gone');
      // The deadline only guards against the hang this test is about; the assertion is on the error.
      const failure = await agent.get('/contacts.csv').timeout({ deadline: 10_000 }).then(() => null, (err: Error & { code?: string }) => err);
      assert.ok(failure && failure.code !== 'ECONNABORTED', `the connection was cut, not left open: ${failure?.message}`);
      assert.equal(own.logLines.filter((l) => l.includes('"level":"error"')).length, 1);
    } finally {
      await own.close();
    }
  });
});
