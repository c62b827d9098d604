import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import argon2 from 'argon2';
import request from 'supertest';
import { insertUser, makeTestApp, type TestContext } from './helpers.js';

let ctx: TestContext;
before(async () => {
  ctx = await makeTestApp();
});
after(() => ctx.close());

const login = (username: string, password: string) => request(ctx.app).post('/auth/login').send({ username, password });
const hashOf = (id: number) => ctx.db.prepare('SELECT password_hash FROM users WHERE id = ?').pluck().get(id) as string;

// The same passphrase as another keyboard or input method may send it.
const COMPOSED = 'Café crème brûlée 42';
const DECOMPOSED = COMPOSED.normalize('NFD');
const FULL_WIDTH = 'ｐａｓｓｐｈｒａｓｅ ｏｎ ａ ｐｈｏｎｅ ４２';
const PLAIN = FULL_WIDTH.normalize('NFKC');

describe('passwords are compared in one Unicode form (NFKC)', () => {
  test('a password set composed signs in typed decomposed, and the reverse', async () => {
    const composed = await insertUser(ctx.db, { role: 'worker', password: COMPOSED });
    assert.equal((await login(composed.username, DECOMPOSED)).status, 200);
    const decomposed = await insertUser(ctx.db, { role: 'worker', password: DECOMPOSED });
    assert.equal((await login(decomposed.username, COMPOSED)).status, 200);
  });

  test('full-width characters are the same password as their plain forms', async () => {
    const user = await insertUser(ctx.db, { role: 'worker', password: FULL_WIDTH });
    assert.equal((await login(user.username, PLAIN)).status, 200);
    assert.equal((await login(user.username, 'passphrase on a phone 43')).status, 401);
  });

  test('a hash made before normalisation still signs in once with the typed form, then is replaced by the normal form', async () => {
    const user = await insertUser(ctx.db, { role: 'worker' });
    const legacy = await argon2.hash(FULL_WIDTH, { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 });
    ctx.db.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(legacy, user.id);
    const version = ctx.db.prepare('SELECT credential_version FROM users WHERE id = ?').pluck().get(user.id);
    assert.equal((await login(user.username, FULL_WIDTH)).status, 200);
    const rehashed = hashOf(user.id);
    assert.notEqual(rehashed, legacy, 'the hash was replaced');
    assert.ok(await argon2.verify(rehashed, PLAIN), 'the new hash is of the normal form');
    assert.equal(ctx.db.prepare('SELECT credential_version FROM users WHERE id = ?').pluck().get(user.id), version,
      'a rehash does not end sessions');
    assert.equal((await login(user.username, PLAIN)).status, 200, 'now the plain form works too');
  });

  test('a wrong password in another form is still wrong, and counts once against the budget', async () => {
    const user = await insertUser(ctx.db, { role: 'worker', password: COMPOSED });
    const failures = () => ctx.db.prepare("SELECT coalesce(sum(failures), 0) FROM login_throttle WHERE scope = 'account'").pluck().get() as number;
    const before = failures();
    assert.equal((await login(user.username, 'Cafe creme brulee 42')).status, 401);
    assert.equal(failures(), before + 1);
  });
});

describe('a new password must differ from the current one', () => {
  test('the current password typed in full-width letters is not a new one', async () => {
    const user = await insertUser(ctx.db, { role: 'worker', password: PLAIN });
    const signedIn = await login(user.username, PLAIN);
    const hash = hashOf(user.id);
    const res = await request(ctx.app).post('/auth/password').set('Authorization', `Bearer ${signedIn.body.access_token as string}`)
      .send({ current_password: PLAIN, new_password: FULL_WIDTH });
    assert.equal(res.status, 400);
    assert.ok(res.body.fields.new_password);
    assert.equal(hashOf(user.id), hash);
  });
});
