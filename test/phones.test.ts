import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import request from 'supertest';
import { readPhone } from '../src/phone.js';
import { count, insertUser, makeTestApp, type TestContext } from './helpers.js';

const PER_DESTINATION = 5;
const SPELLINGS = ['+15556660000', '15556660000', '0015556660000', '01115556660000', '+1 555-666-0000', '1 (555) 666.0000',
  '\u202a+1 555 666 0000\u202c', 15556660000];

describe('readPhone', () => {
  test('every spelling of one number reads as the same E.164 string', () => {
    for (const spelling of SPELLINGS) assert.deepEqual(readPhone(spelling), { ok: true, phone: '+15556660000' }, String(spelling));
  });

  test('without DEFAULT_COUNTRY digits are international; with it they are national, and 00/011 still mean international', () => {
    assert.deepEqual(readPhone('34 612 345 678'), { ok: true, phone: '+34612345678' });
    assert.deepEqual(readPhone('0612345678'), { ok: false, reason: 'no country code (write it with + or set DEFAULT_COUNTRY)' });
    assert.deepEqual(readPhone('612 345 678', 'ES'), { ok: true, phone: '+34612345678' });
    assert.deepEqual(readPhone('0034 612 345 678', 'ES'), { ok: true, phone: '+34612345678' });
    assert.deepEqual(readPhone('011 34 612 345 678', 'ES'), { ok: true, phone: '+34612345678' });
    assert.deepEqual(readPhone('0015556660000', 'US'), { ok: true, phone: '+15556660000' });
    assert.deepEqual(readPhone('(555) 666-0000', 'US'), { ok: true, phone: '+15556660000' });
    assert.deepEqual(readPhone('07700 900123', 'GB'), { ok: true, phone: '+447700900123' }, 'the trunk 0 is dropped');
    assert.deepEqual(readPhone('011 555 1234', 'IT'), { ok: true, phone: '+390115551234' }, "Turin's 011 stays national in Italy");
    assert.deepEqual(readPhone('15556660000', 'ES'), { ok: false, reason: 'too long for its country' });
  });

  test('what is not a phone number is refused with the reason', () => {
    const cases: Array<[unknown, string]> = [
      [undefined, 'phone is missing'], ['', 'phone is missing'], [' - ', 'phone is missing'], ['call me', 'not a phone number'],
      ['+34 612 345 678 ext 2', 'not a phone number'], ['+34+612345678', 'not a phone number'], [1.5, 'not a phone number'],
      [-34612345678, 'not a phone number'], [{}, 'not a phone number'], ['9'.repeat(65), 'not a phone number'],
      ['+34 6001', 'too short for its country'], ['+34 6123456789012', 'too long for its country'], ['+999 123456789', 'unknown country code'],
      ['٠٦١٢٣٤٥٦٧٨', 'not a phone number'],
    ];
    for (const [input, reason] of cases) assert.deepEqual(readPhone(input), { ok: false, reason }, JSON.stringify(input));
  });
});

describe('the canonical form is a fixed point', () => {
  test('the spellings that used to drift are refused with the reason', () => {
    assert.deepEqual(readPhone('+86009152532'), { ok: false, reason: 'ambiguous: written with a national prefix after the country code' });
    assert.equal(readPhone('0045035551', 'BR').ok, false);
    assert.deepEqual(readPhone('+44 (0)20 7946 0958'), { ok: true, phone: '+442079460958' });
  });

  test('whatever is read, reading its canonical form again gives the same form, with or without a default country', () => {
    const spelling = fc.tuple(fc.constantFrom('', '+', '00', '011', '0'),
      fc.array(fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ' ', '-', '(', ')'), { minLength: 6, maxLength: 18 }))
      .map(([prefix, chars]) => prefix + chars.join(''));
    fc.assert(fc.property(spelling, fc.constantFrom(undefined, 'US', 'ES', 'BR', 'CN', 'IT', 'GB'), (text, country) => {
      const first = readPhone(text, country);
      if (!first.ok) return;
      assert.deepEqual(readPhone(first.phone, country), first);
      assert.deepEqual(readPhone(first.phone), first, 'an E.164 form needs no default country');
    }), { seed: 20261123, numRuns: 3000 });
  });
});

describe('per-destination quota over spellings', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await makeTestApp({ RATE_LIMIT_MESSAGES_PER_MINUTE: '1000', RATE_LIMIT_MESSAGES_PER_HOUR: '10000',
      RATE_LIMIT_MESSAGES_PER_DESTINATION_HOUR: String(PER_DESTINATION) });
  });
  after(() => ctx.close());

  async function worker() {
    const user = await insertUser(ctx.db, { role: 'worker' });
    const token = (await request(ctx.app).post('/auth/login').send({ username: user.username, password: user.password })).body.access_token as string;
    return { ...user, log: (phone: unknown) => request(ctx.app).post('/api/messages/log').set('Authorization', `Bearer ${token}`).send({ recipient_phone: phone }) };
  }
  const recipients = (senderId: number) => ctx.db.prepare('SELECT recipient_phone AS phone, count(*) AS n FROM message_logs WHERE sender_id = ? GROUP BY 1')
    .all(senderId) as Array<{ phone: string; n: number }>;

  test('rotating spellings of one number counts as one destination, stored once canonically', async () => {
    const w = await worker();
    const statuses: number[] = [];
    for (const spelling of SPELLINGS) statuses.push((await w.log(spelling)).status);
    assert.deepEqual(statuses, [...Array(PER_DESTINATION).fill(201), ...Array(SPELLINGS.length - PER_DESTINATION).fill(429)]);
    assert.deepEqual(recipients(w.id), [{ phone: '+15556660000', n: PER_DESTINATION }]);
  });

  test('50 parallel logs to one destination in different spellings store exactly the per-destination quota', async () => {
    const w = await worker();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => w.log(SPELLINGS[i % SPELLINGS.length])));
    assert.equal(results.filter((r) => r.status === 201).length, PER_DESTINATION);
    assert.equal(results.filter((r) => r.status === 429).length, 50 - PER_DESTINATION);
    assert.deepEqual(recipients(w.id), [{ phone: '+15556660000', n: PER_DESTINATION }]);
  });

  test('a recipient that is not a phone number answers 400 naming the field, with the reason, and stores nothing', async () => {
    const w = await worker();
    for (const [phone, reason] of [['+34 6001', 'too short for its country'], ['0612345678', 'no country code'], ['+999 123456789', 'unknown country code']]) {
      const res = await w.log(phone);
      assert.equal(res.status, 400);
      assert.match(res.body.fields.recipient_phone, new RegExp(`^recipient_phone is not a phone number: ${reason}`));
    }
    assert.equal(count(ctx.db, 'SELECT count(*) AS n FROM message_logs WHERE sender_id = ?', w.id), 0);
  });

  test('the recipient filter finds a number by any spelling, and a fragment with separators', async () => {
    const w = await worker();
    await w.log('+34 612 345 678');
    const admin = await insertUser(ctx.db, { role: 'admin' });
    const token = (await request(ctx.app).post('/auth/login').send({ username: admin.username, password: admin.password })).body.access_token;
    for (const search of ['0034612345678', '+34 612 345 678', '612 345', '(0034) 612-345-678']) {
      const res = await request(ctx.app).get(`/api/messages?sender_id=${w.id}&search=${encodeURIComponent(search)}`).set('Authorization', `Bearer ${token}`);
      assert.equal(res.body.total, 1, search);
    }
  });
});

describe('DEFAULT_COUNTRY', () => {
  test('set: national numbers are read in that country for contacts and quotas alike', async () => {
    const ctx = await makeTestApp({ DEFAULT_COUNTRY: 'es', RATE_LIMIT_MESSAGES_PER_DESTINATION_HOUR: '2' });
    try {
      const user = await insertUser(ctx.db, { role: 'worker' });
      const auth = { Authorization: `Bearer ${(await request(ctx.app).post('/auth/login').send({ username: user.username, password: user.password })).body.access_token}` };
      const sync = await request(ctx.app).post('/api/contacts/sync').set(auth).send({ contacts: [{ phone: '612 345 678', name: 'Ana' }, { phone: '+34612345678' }, { phone: '15556660000' }] });
      assert.deepEqual([sync.body.created, sync.body.skipped], [1, [{ index: 2, reason: 'too long for its country' }]]);
      assert.deepEqual(ctx.db.prepare('SELECT phone FROM contacts').pluck().all(), ['+34612345678']);
      const statuses = [];
      for (const phone of ['612345678', '0034612345678', '+34 612 345 678']) statuses.push((await request(ctx.app).post('/api/messages/log').set(auth).send({ recipient_phone: phone })).status);
      assert.deepEqual(statuses, [201, 201, 429]);
      assert.equal(count(ctx.db, "SELECT count(*) AS n FROM message_logs WHERE recipient_phone = '+34612345678'"), 2);
    } finally {
      await ctx.close();
    }
  });
});

describe('date filters at the edges', () => {
  test('to=9999-12-31 means no upper bound (200 with every message), and impossible days answer 400 naming the field', async () => {
    const ctx = await makeTestApp();
    try {
      const user = await insertUser(ctx.db, { role: 'worker' });
      const auth = { Authorization: `Bearer ${(await request(ctx.app).post('/auth/login').send({ username: user.username, password: user.password })).body.access_token}` };
      await request(ctx.app).post('/api/messages/log').set(auth).send({ recipient_phone: '+34612345678' });
      for (const query of ['to=9999-12-31', 'to=9999-12-31T23:59:59.999Z', 'from=0001-01-01&to=9999-12-31', 'from=9999-12-31&to=9999-12-31']) {
        const res = await request(ctx.app).get(`/api/messages?${query}`).set(auth);
        assert.equal(res.status, 200, query);
        assert.equal(res.body.total, query.startsWith('from=9999') ? 0 : 1, query);
      }
      for (const [query, field] of [['to=2024-02-31', 'to'], ['from=2023-02-29', 'from'], ['to=10000-01-01', 'to'], ['from=2024-13-01', 'from']]) {
        const res = await request(ctx.app).get(`/api/messages?${query}`).set(auth);
        assert.equal(res.status, 400, query);
        assert.ok(res.body.fields[field!], query);
      }
    } finally {
      await ctx.close();
    }
  });
});
