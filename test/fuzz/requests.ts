import fc from 'fast-check';
import { MESSAGE_STATUSES } from '../../src/features/messages/messages.repo.js';
import { encodeLoose, hostileJson, hostileString, hostileUrlString, protoKey } from './arbitraries.js';

/** Values an honest client might send for a field, so cases also reach the services. */
const phone = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('+34 612 345 678', '+1 415 555 2671', '+44 7700 900123', '0034612345678', '612345678', '+0', '+999 1') },
  { weight: 1, arbitrary: fc.stringMatching(/^\+?[0-9 ()-]{3,18}$/) },
);
const id = fc.integer({ min: -1, max: 30 });
const page = fc.oneof(fc.integer({ min: -5, max: 600 }), fc.constantFrom(1e6, 2 ** 53, 1.5));
const instant = fc.oneof(fc.date({ noInvalidDate: true, min: new Date(-1e14), max: new Date(1e14) }).map((d) => d.toISOString()),
  fc.constantFrom('2024-02-30', '2024-01-01', '9999-12-31', '0000-01-01', '2024-01-01T25:00:00Z', '2024-13-01'));
const password = fc.constantFrom('fuzzed passphrase number one', 'Tr0ub4dor&3 horse staple', 'short', 'password', 'aaaaaaaaaaaaaaaa');
const message = fc.record({ recipient_phone: phone, message_content: hostileString, status: fc.constantFrom(...MESSAGE_STATUSES, 'bogus') }, { requiredKeys: ['recipient_phone'] });

const PLAUSIBLE: Record<string, fc.Arbitrary<unknown>> = {
  username: fc.oneof(fc.stringMatching(/^[a-z][a-z0-9._@-]{2,12}$/), fc.constantFrom('admin', 'a', 'x'.repeat(65))),
  password, new_password: password, current_password: password, confirm_password: password,
  role: fc.constantFrom('worker', 'manager', 'admin', 'owner', 'ADMIN', ''),
  status: fc.constantFrom(...MESSAGE_STATUSES, 'active', 'terminated', 'all'),
  is_active: fc.boolean(), limit: page, offset: page, page,
  user_id: id, sender_id: id, manager_id: id,
  from: instant, to: instant,
  outcome: fc.constantFrom('success', 'failure', 'denied', 'maybe'),
  acknowledged: fc.constantFrom('true', 'false', 'yes', ''),
  action: fc.constantFrom('login', 'user.terminate', 'login.failed', 'a.b_c', 'LOGIN'),
  recipient_phone: phone, phone,
  contacts: fc.array(fc.oneof({ weight: 3, arbitrary: fc.record({ phone, name: hostileString }, { requiredKeys: ['phone'] }) }, { weight: 1, arbitrary: hostileJson }), { maxLength: 6 }),
  messages: fc.array(fc.oneof({ weight: 3, arbitrary: message }, { weight: 1, arbitrary: hostileJson }), { maxLength: 6 }),
  next: fc.constantFrom('/dashboard', '//evil.example', 'https://evil.example', 'javascript:alert(1)', '/\\evil.example'),
};

const plausible = (field: string) => PLAUSIBLE[field] ?? hostileString;
const fieldValue = (field: string) => fc.oneof({ weight: 4, arbitrary: plausible(field) }, { weight: 1, arbitrary: hostileJson });
const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '');
const fieldText = (field: string, text = hostileString) => fc.oneof({ weight: 4, arbitrary: plausible(field).map(asText) }, { weight: 1, arbitrary: text });
const urlText = (field: string) => fieldText(field, hostileUrlString).map((t) => t.slice(0, 1_500));

/** Key/value pairs: mostly known fields (repeats allowed, so `a=1&a=2`), some unknown or prototype keys. */
function pairs<V>(fields: readonly string[], value: (field: string) => fc.Arbitrary<V>, maxLength: number) {
  const known = fields.length ? [{ weight: 4, arbitrary: fc.constantFrom(...fields).chain((f) => value(f).map((v) => [f, v] as const)) }] : [];
  const extra = fc.tuple(fc.oneof(protoKey, fc.string({ maxLength: 10 })), value('?'));
  return fc.array(fc.oneof(...known, { weight: 1, arbitrary: extra }), { maxLength });
}

const MISSING = Symbol('missing');

/** Each known field once (most of the time) with a mostly plausible value, plus at most two strangers. */
function shaped<V>(fields: readonly string[], value: (field: string) => fc.Arbitrary<V>) {
  const known = fc.tuple(...fields.map((f) => fc.option(value(f), { freq: 6, nil: MISSING })));
  const strangers = fc.array(fc.tuple(fc.oneof(protoKey, fc.string({ maxLength: 10 })), value('?')), { maxLength: 2 });
  return fc.tuple(known, strangers).map(([values, extra]) => [
    ...fields.flatMap((f, i) => (values[i] === MISSING ? [] : [[f, values[i] as V] as const])), ...extra,
  ]);
}

/** Every known field with a plausible value: what an honest client sends, to reach the services. */
const honest = (fields: readonly string[]) => fc.tuple(...fields.map((f) => plausible(f))).map((values) => fields.map((f, i) => [f, values[i]] as const));

/** Honest, shaped or random entries (repeated keys, `a=1&a=2`). */
const entries = <V>(fields: readonly string[], value: (field: string) => fc.Arbitrary<V>, maxLength: number, honestAs: (v: unknown) => V) => fc.oneof(
  { weight: 2, arbitrary: honest(fields).map((es) => es.map(([f, v]) => [f, honestAs(v)] as const)) },
  { weight: 3, arbitrary: shaped(fields, value) },
  { weight: 2, arbitrary: pairs(fields, value, maxLength) },
);

/** A raw query string (no '?'): duplicates, prototype keys, bad escapes, bracket syntax. */
export function queryString(fields: readonly string[]): fc.Arbitrary<string> {
  const encoded = entries(fields, urlText, 4, asText).map((ps) => ps.map(([k, v]) => `${encodeLoose(k)}=${encodeLoose(v)}`).join('&'));
  const odd = fc.constantFrom('%', 'a=%zz', 'search=%E0%A4%A', 'a[b]=1&a[c]=2', '&&&', '=', 'page', 'page[]=1', 'limit=1&limit=2', '__proto__[x]=1', '%00=%00');
  // Node answers 431 itself past 16 kB of request head, before the app; stay under it (a cut
  // escape at the end is one more malformed input).
  return fc.oneof({ weight: 5, arbitrary: encoded }, { weight: 1, arbitrary: fc.tuple(encoded, odd).map(([a, b]) => (a ? `${a}&${b}` : b)) })
    .map((q) => q.slice(0, 12_000));
}

/** JSON written by hand, so it can hold duplicate keys and a literal "__proto__" key. */
function jsonObjectText(fields: readonly string[]) {
  return entries(fields, fieldValue, fields.length + 3, (v) => v)
    .map((ps) => `{${ps.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`);
}

export function jsonBody(fields: readonly string[]): fc.Arbitrary<string> {
  const object = jsonObjectText(fields);
  return fc.oneof(
    { weight: 10, arbitrary: object },
    { weight: 1, arbitrary: hostileJson.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '{"a":', 'null', '"text"', '{"__proto__":{"role":"admin"}}', '{"a":1}{"b":2}', '\ufeff{}', '\u0000', 'NaN') },
    { weight: 1, arbitrary: fc.tuple(object, fc.nat()).map(([t, n]) => t.slice(0, n % (t.length + 1))) },
  );
}

export function formBody(fields: readonly string[]): fc.Arbitrary<string> {
  const encoded = entries(fields, fieldText, fields.length + 3, asText).map((ps) => ps.map(([k, v]) => `${encodeLoose(k)}=${encodeLoose(v)}`));
  return fc.oneof(
    { weight: 12, arbitrary: encoded.map((ps) => ps.join('&')) },
    // More fields than the parser's limit of 50, and text that is not a form at all.
    { weight: 1, arbitrary: encoded.map((ps) => [...ps, ...Array.from({ length: 60 }, (_, i) => `f${i}=1`)].join('&')) },
    { weight: 1, arbitrary: fc.oneof(hostileString, fc.constantFrom('%', 'a=%zz', '&=&=', '{"json":true}')) },
  );
}

const BAD_TYPES = ['text/plain', 'application/json; charset=utf-16', 'application/json; charset=koi8-r', 'application/json; charset=bogus-42',
  'application/x-www-form-urlencoded; charset=latin1', 'multipart/form-data; boundary=----x', 'application/xml', 'application/vnd.api+json',
  '*/*', ';;;', 'application/json; charset=', 'APPLICATION/JSON', 'text/html; charset=utf-8', 'application/x-www-form-urlencoded', 'application/json'];
const ENCODINGS = ['gzip', 'deflate', 'br', 'zstd', 'identity', 'x-gzip', 'gzip, gzip', '*', 'IDENTITY'];

/** How the body travels: usually as it should, sometimes under a wrong type or a Content-Encoding. */
export function transport(kind: 'json' | 'form') {
  const honest = kind === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
  return fc.record({
    contentType: fc.oneof({ weight: 8, arbitrary: fc.constant<string | undefined>(honest) }, { weight: 2, arbitrary: fc.constantFrom(...BAD_TYPES) },
      { weight: 1, arbitrary: fc.constant(undefined) }),
    contentEncoding: fc.oneof({ weight: 10, arbitrary: fc.constant<string | undefined>(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...ENCODINGS) }),
    compress: fc.boolean(),
  });
}
