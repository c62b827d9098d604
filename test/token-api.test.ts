import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { createTokenSigner } from '../src/features/auth/token-signer.js';
import { count, insertUser, makeTestApp, type TestContext } from './helpers.js';

let ctx: TestContext;
before(async () => {
  ctx = await makeTestApp({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', MAIN_APP_URL: 'http://127.0.0.1:5500,https://app.example.com' });
});
after(() => ctx.close());

const login = (username: string, password: string) => request(ctx.app).post('/auth/login').send({ username, password });
const validate = (token?: string) => {
  const req = request(ctx.app).post('/auth/validate');
  return token === undefined ? req : req.set('Authorization', `Bearer ${token}`);
};
const decode = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

async function worker() {
  const user = await insertUser(ctx.db, { role: 'worker' });
  const res = await login(user.username, user.password);
  assert.equal(res.status, 200);
  return { ...user, access: res.body.access_token as string, refresh: res.body.refresh_token as string };
}

function assertRefused(res: request.Response, error?: RegExp) {
  assert.equal(res.status, 401);
  assert.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token"');
  assert.equal(res.body.valid, false);
  if (error) assert.match(res.body.error, error);
}

describe('POST /auth/login', () => {
  test('answers the original contract with HS256 tokens carrying the original claims', async () => {
    const user = await insertUser(ctx.db, { role: 'worker' });
    const res = await login(user.username, user.password);
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), ['access_token', 'message', 'refresh_token', 'user']);
    assert.equal(res.body.message, 'Login successful');
    assert.deepEqual(res.body.user, { id: user.id, username: user.username, role: 'worker' });
    const header = JSON.parse(Buffer.from(res.body.access_token.split('.')[0], 'base64url').toString());
    assert.equal(header.alg, 'HS256');
    const access = decode(res.body.access_token);
    const refresh = decode(res.body.refresh_token);
    assert.equal(access.sub, String(user.id));
    assert.equal(access.username, user.username);
    assert.equal(access.role, 'worker');
    assert.equal(access.type, 'access');
    assert.equal(refresh.type, 'refresh');
    assert.equal(access.sid, refresh.sid, 'both tokens are bound to one login');
    assert.equal(Number(access.exp) - Number(access.iat), 30 * 60);
    assert.equal(Number(refresh.exp) - Number(refresh.iat), 7 * 86400);
    assert.equal(access.nbf, access.iat);
    assert.notEqual(access.jti, refresh.jti);
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM token_logins WHERE user_id = ?', user.id), 1);
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE user_id = ? AND action = 'login' AND outcome = 'success'", user.id), 1);
  });

  test('missing or non-string fields answer 400 "Username and password required"', async () => {
    for (const body of [{}, { username: 'a' }, { password: 'b' }, { username: 12, password: 'x' }, { username: 'a', password: ['x'] }, { username: '', password: 'x' }]) {
      const res = await request(ctx.app).post('/auth/login').send(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(res.body, { error: 'Username and password required' });
    }
  });

  test('an unknown user, a wrong password and a terminated account get the same 401 body', async () => {
    const user = await insertUser(ctx.db, { role: 'worker' });
    const gone = await insertUser(ctx.db, { role: 'worker' });
    ctx.db.prepare('UPDATE users SET is_active = 0, terminated_at = ?, credential_version = credential_version + 1 WHERE id = ?').run(new Date().toISOString(), gone.id);
    const answers = [await login('no-such-user', 'whatever it is'), await login(user.username, 'wrong password!'), await login(gone.username, gone.password)];
    for (const res of answers) {
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { error: 'Invalid credentials' });
    }
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM token_logins WHERE user_id = ?', gone.id), 0);
  });

  test('a locked account answers 429 with Retry-After even for the right password, and does not lock the others', async () => {
    const typo = await insertUser(ctx.db, { role: 'worker' });
    const colleague = await insertUser(ctx.db, { role: 'worker' });
    for (let i = 0; i < 3; i += 1) assert.equal((await login(typo.username, 'typo ' + i)).status, 401);
    const right = await login(typo.username, typo.password);
    const wrong = await login(typo.username, 'another typo');
    for (const res of [right, wrong]) {
      assert.equal(res.status, 429);
      assert.equal(res.headers['retry-after'], '60');
      assert.equal(res.body.access_token, undefined);
    }
    assert.deepEqual(right.body, wrong.body, 'the answer does not reveal that the password was right');
    assert.equal((await login(colleague.username, colleague.password)).status, 200, 'same IP, other worker unaffected');
  });
});

describe('POST /auth/validate', () => {
  test('a valid access token answers with username and role read from the database', async () => {
    const w = await worker();
    ctx.db.prepare('UPDATE users SET username = ? WHERE id = ?').run(w.username + '-renamed', w.id);
    const res = await validate(w.access);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { valid: true, user_id: w.id, username: w.username + '-renamed', role: 'worker', exp: decode(w.access).exp });
  });

  test('refuses a missing, malformed, forged, alg:none, expired or refresh token', async () => {
    const w = await worker();
    assertRefused(await validate(), /Missing bearer token/);
    assertRefused(await validate('not-a-jwt'), /Malformed/);
    assertRefused(await request(ctx.app).post('/auth/validate').set('Authorization', `Token ${w.access}`), /Malformed/);
    assertRefused(await request(ctx.app).post('/auth/validate').query({ token: w.access }), /Missing/);

    const forger = createTokenSigner({ secret: 'an-entirely-different-signing-key-0123456789', clock: Date.now });
    const forged = await forger.sign({ userId: w.id, username: w.username, role: 'admin', type: 'access', loginId: String(decode(w.access).sid) }, 600);
    assertRefused(await validate(forged.token), /Invalid token/);

    const none = [Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url'), w.access.split('.')[1], ''].join('.');
    assertRefused(await validate(none));
    const tampered = w.access.split('.');
    tampered[1] = Buffer.from(JSON.stringify({ ...decode(w.access), role: 'admin' })).toString('base64url');
    assertRefused(await validate(tampered.join('.')), /Invalid token/);

    assertRefused(await validate(w.refresh), /Not an access token/);

    ctx.clock.now += 31 * 60_000;
    try {
      assertRefused(await validate(w.access), /expired/);
    } finally {
      ctx.clock.now -= 31 * 60_000;
    }
  });

  test('only POST is accepted', async () => {
    const w = await worker();
    const res = await request(ctx.app).get('/auth/validate').set('Authorization', `Bearer ${w.access}`);
    assert.equal(res.status, 405);
    assert.equal(res.headers.allow, 'POST');
  });
});

describe('refresh rotation', () => {
  test('a refresh spends the token and issues a working pair', async () => {
    const w = await worker();
    const res = await request(ctx.app).post('/auth/refresh').set('Authorization', `Bearer ${w.refresh}`);
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), ['access_token', 'refresh_token']);
    assert.equal((await validate(res.body.access_token)).status, 200);
    assert.equal(decode(res.body.access_token).sid, decode(w.access).sid);
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM refresh_tokens WHERE jti = ? AND spent_at IS NOT NULL', decode(w.refresh).jti), 1);
  });

  test('replaying a spent refresh token revokes the whole login and is recorded', async () => {
    const w = await worker();
    const first = await request(ctx.app).post('/auth/refresh').set('Authorization', `Bearer ${w.refresh}`);
    const replay = await request(ctx.app).post('/auth/refresh').set('Authorization', `Bearer ${w.refresh}`);
    assert.equal(replay.status, 401);
    assert.match(replay.body.error, /reuse/);
    assert.equal(replay.headers['www-authenticate'], 'Bearer error="invalid_token"');
    const newer = await request(ctx.app).post('/auth/refresh').set('Authorization', `Bearer ${first.body.refresh_token}`);
    assert.equal(newer.status, 401, 'the refresh token issued by the rotation is dead too');
    assertRefused(await validate(first.body.access_token), /revoked/);
    assertRefused(await validate(w.access), /revoked/);
    const sid = String(decode(w.access).sid);
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM token_logins WHERE id = ? AND revoked_reason = 'refresh_reuse'", sid), 1);
    assert.equal(count(ctx.db, "SELECT count(*) AS n FROM activity_log WHERE action = 'token.refresh_reuse' AND login_ref = ? AND user_id = ?", sid, w.id), 1);
  });

  test('an access token cannot refresh, and a refresh token from a terminated user cannot either', async () => {
    const w = await worker();
    const wrongType = await request(ctx.app).post('/auth/refresh').set('Authorization', `Bearer ${w.access}`);
    assert.equal(wrongType.status, 401);
    assert.match(wrongType.body.error, /Not a refresh token/);
    ctx.db.prepare('UPDATE users SET is_active = 0, terminated_at = ?, credential_version = credential_version + 1 WHERE id = ?').run(new Date().toISOString(), w.id);
    const res = await request(ctx.app).post('/auth/refresh').set('Authorization', `Bearer ${w.refresh}`);
    assert.equal(res.status, 401);
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM refresh_tokens WHERE jti = ? AND spent_at IS NULL', decode(w.refresh).jti), 1, 'nothing spent');
  });
});

describe('logout, me and immediate revocation', () => {
  test('logout ends that login: its access and refresh tokens stop working at once', async () => {
    const w = await worker();
    const other = await login(w.username, w.password);
    const res = await request(ctx.app).post('/auth/logout').set('Authorization', `Bearer ${w.access}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { message: 'Logged out' });
    assertRefused(await validate(w.access), /revoked/);
    assert.equal((await request(ctx.app).post('/auth/refresh').set('Authorization', `Bearer ${w.refresh}`)).status, 401);
    assert.equal((await validate(other.body.access_token)).status, 200, 'another login of the same user goes on');
    assert.equal((await request(ctx.app).post('/auth/logout')).status, 401);
  });

  test('GET /auth/me answers for an active user and 401 otherwise', async () => {
    const w = await worker();
    const res = await request(ctx.app).get('/auth/me').set('Authorization', `Bearer ${w.access}`);
    assert.equal(res.status, 200);
    const created = ctx.db.prepare('SELECT created_at FROM users WHERE id = ?').pluck().get(w.id);
    assert.deepEqual(res.body, { id: w.id, username: w.username, role: 'worker', created_at: created });
    ctx.db.prepare('UPDATE users SET is_active = 0, terminated_at = ?, credential_version = credential_version + 1 WHERE id = ?').run(new Date().toISOString(), w.id);
    const after = await request(ctx.app).get('/auth/me').set('Authorization', `Bearer ${w.access}`);
    assert.equal(after.status, 401);
    assert.equal(after.headers['www-authenticate'], 'Bearer error="invalid_token"');
    assert.equal(typeof after.body.error, 'string');
  });

  test('termination revokes at once even without a credential version bump', async () => {
    const w = await worker();
    ctx.db.prepare('UPDATE users SET is_active = 0, terminated_at = ? WHERE id = ?').run(new Date().toISOString(), w.id);
    assertRefused(await validate(w.access), /not active/);
  });
});

describe('POST /auth/password', () => {
  test('changes the password, ends the other logins and keeps this one', async () => {
    const w = await worker();
    const other = await login(w.username, w.password);
    const res = await request(ctx.app).post('/auth/password').set('Authorization', `Bearer ${w.access}`)
      .send({ current_password: w.password, new_password: 'a completely new passphrase' });
    assert.equal(res.status, 200);
    assert.equal((await validate(w.access)).status, 200, 'this login continues');
    assertRefused(await validate(other.body.access_token), /revoked/);
    assert.equal((await login(w.username, w.password)).status, 401);
    assert.equal((await login(w.username, 'a completely new passphrase')).status, 200);
  });

  test('refuses bad input with 400 naming the field, and changes nothing', async () => {
    const w = await worker();
    const hash = ctx.db.prepare('SELECT password_hash FROM users WHERE id = ?').pluck().get(w.id);
    const send = (body: object) => request(ctx.app).post('/auth/password').set('Authorization', `Bearer ${w.access}`).send(body);
    const missing = await send({ current_password: w.password });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body.fields, { new_password: 'new_password is required' });
    const weak = await send({ current_password: w.password, new_password: 'password1234' });
    assert.equal(weak.status, 400);
    assert.match(weak.body.error, /too common/);
    assert.ok(weak.body.fields.new_password);
    const wrong = await send({ current_password: 'not my password', new_password: 'a completely new passphrase' });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.body.fields, { current_password: 'Current password is incorrect' });
    assert.equal(ctx.db.prepare('SELECT password_hash FROM users WHERE id = ?').pluck().get(w.id), hash);
    assert.equal((await request(ctx.app).post('/auth/password').send({})).status, 401);
  });
});

describe('CORS and the JSON surface', () => {
  test("the main app's origins are allowed with Authorization, Content-Type and Idempotency-Key, never *", async () => {
    for (const origin of ['http://127.0.0.1:5500', 'https://app.example.com']) {
      const preflight = await request(ctx.app).options('/auth/validate').set('Origin', origin)
        .set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization,content-type');
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers['access-control-allow-origin'], origin);
      assert.equal(preflight.headers['access-control-allow-headers'], 'Authorization,Content-Type,Idempotency-Key');
    }
  });

  test('another origin gets no CORS headers, and panel pages never do', async () => {
    const refused = await request(ctx.app).options('/auth/login').set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    assert.equal(refused.headers['access-control-allow-origin'], undefined);
    const simple = await request(ctx.app).post('/auth/validate').set('Origin', 'https://evil.example');
    assert.equal(simple.headers['access-control-allow-origin'], undefined);
    const panel = await request(ctx.app).get('/login').set('Origin', 'http://127.0.0.1:5500');
    assert.equal(panel.headers['access-control-allow-origin'], undefined);
  });

  test('expired logins and their refresh tokens are purged, spent tokens only once expired', async () => {
    const w = await worker();
    await request(ctx.app).post('/auth/refresh').set('Authorization', `Bearer ${w.refresh}`);
    const sid = String(decode(w.access).sid);
    ctx.services.tokens.purgeExpired();
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM refresh_tokens WHERE login_id = ?', sid), 2, 'the spent token is kept for reuse detection');
    ctx.clock.now += 8 * 86400_000;
    try {
      ctx.services.tokens.purgeExpired();
    } finally {
      ctx.clock.now -= 8 * 86400_000;
    }
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM refresh_tokens WHERE login_id = ?', sid), 0);
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM token_logins WHERE id = ?', sid), 0);
  });
});

describe('request cap on the token login', () => {
  test('beyond API_LOGIN_REQUESTS_PER_MINUTE the API answers 429 JSON with Retry-After', async () => {
    const own = await makeTestApp({ API_LOGIN_REQUESTS_PER_MINUTE: '2' });
    try {
      const user = await insertUser(own.db, { role: 'worker' });
      const statuses: number[] = [];
      let last: request.Response | undefined;
      for (let i = 0; i < 3; i += 1) {
        last = await request(own.app).post('/auth/login').send({ username: user.username, password: user.password });
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [200, 200, 429]);
      assert.ok(Number(last!.headers['retry-after']) > 0);
      assert.match(last!.body.error, /Too many login attempts/);
      assert.equal(count(own.db, 'SELECT count(*) AS n FROM token_logins'), 2);
    } finally {
      await own.close();
    }
  });
});

describe('an account on a one-time or reset password', () => {
  const bearer = (token: string) => `Bearer ${token}`;

  async function onOneTimePassword() {
    const user = await insertUser(ctx.db, { role: 'admin', mustChangePassword: true });
    const res = await login(user.username, user.password);
    assert.equal(res.status, 200);
    assert.equal(res.body.user.must_change_password, true);
    return { ...user, access: res.body.access_token as string, refresh: res.body.refresh_token as string };
  }

  test('gets 403 password_change_required from every other bearer route, and 401 from /auth/validate', async () => {
    const u = await onOneTimePassword();
    const usersBefore = count(ctx.db, 'SELECT count(*) AS n FROM users');
    const refused = [
      request(ctx.app).get('/auth/me').set('Authorization', bearer(u.access)),
      request(ctx.app).get('/api/users').set('Authorization', bearer(u.access)),
      request(ctx.app).post('/api/users').set('Authorization', bearer(u.access)).send({ username: 'made-by-otp', password: 'a long enough passphrase', role: 'worker' }),
      request(ctx.app).get('/api/activity').set('Authorization', bearer(u.access)),
      request(ctx.app).post('/api/contacts/sync').set('Authorization', bearer(u.access)).send({ contacts: [{ phone: '+15550001111' }] }),
      request(ctx.app).post('/api/messages/log').set('Authorization', bearer(u.access)).send({ recipient_phone: '+15550001111' }),
      request(ctx.app).post('/auth/refresh').set('Authorization', bearer(u.refresh)),
    ];
    for (const [i, res] of (await Promise.all(refused)).entries()) {
      assert.equal(res.status, 403, `request ${i}`);
      assert.deepEqual(res.body, { error: 'Password change required', code: 'password_change_required' });
    }
    const checked = await validate(u.access);
    assert.equal(checked.status, 401);
    assert.equal(checked.body.valid, false);
    assert.equal(checked.body.code, 'password_change_required');
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM users'), usersBefore, 'nothing was created');
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM contacts WHERE phone LIKE ?', '%15550001111'), 0);
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM message_logs WHERE sender_id = ?', u.id), 0);
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM refresh_tokens WHERE spent_at IS NOT NULL AND login_id IN (SELECT id FROM token_logins WHERE user_id = ?)', u.id), 0,
      'the refresh token was not spent');
  });

  test('can change its password, then the same login has its full rights', async () => {
    const u = await onOneTimePassword();
    const changed = await request(ctx.app).post('/auth/password').set('Authorization', bearer(u.access))
      .send({ current_password: u.password, new_password: 'a brand new admin passphrase' });
    assert.equal(changed.status, 200);
    assert.equal(ctx.db.prepare('SELECT must_change_password FROM users WHERE id = ?').pluck().get(u.id), 0);
    assert.equal((await validate(u.access)).status, 200);
    assert.equal((await request(ctx.app).get('/api/users').set('Authorization', bearer(u.access))).status, 200);
  });

  test('can sign out', async () => {
    const u = await onOneTimePassword();
    assert.equal((await request(ctx.app).post('/auth/logout').set('Authorization', bearer(u.access))).status, 200);
    assert.ok(ctx.db.prepare('SELECT revoked_at FROM token_logins WHERE user_id = ?').pluck().get(u.id));
  });

  test('an admin reset puts the account in the same state on the API', async () => {
    const w = await worker();
    ctx.db.prepare('UPDATE users SET must_change_password = 1 WHERE id = ?').run(w.id);
    assert.equal((await request(ctx.app).get('/auth/me').set('Authorization', bearer(w.access))).status, 403);
    assert.equal((await validate(w.access)).status, 401);
  });
});
