import fc from 'fast-check';

/**
 * Hostile input for the route fuzz: values that are plausible for a field (so requests get past
 * the first check and into the services) mixed with values no honest client sends.
 */

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
export const protoKey = fc.constantFrom(...PROTO_KEYS);

// Injection-shaped text; kept free of the SELECT…FROM / SQLITE_ shapes the oracle looks for in answers.
const NASTY = [
  '', ' ', '\t\n', '\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\ufeff', '\u202e', 'ǅ', 'ß', 'İ', '👩‍👩‍👧', '𝟙',
  "' OR '1'='1", '1); DROP TABLE users;--', '" OR ""="', '%', '%%', '_', '\\', '"', 'NEAR(', 'a*', '"unbalanced', 'AND OR NOT',
  '<script>alert(1)</script>', '<%= 7*7 %>', '${7*7}', '{{7*7}}', '../../etc/passwd', 'null', 'undefined', 'NaN', 'Infinity',
  '-0', '1e309', '0x1', '1e0', '٣', '１', 'true', '[]', '{}', ...PROTO_KEYS,
];

const repeated = (max: number) => fc.tuple(fc.constantFrom('a', '\u00e9', '𝕏', '%'), fc.integer({ min: 100, max })).map(([c, n]) => c.repeat(n));

/** Strings: short random (all of Unicode, lone surrogates, NUL), injection shapes, long ones. */
const strings = (longest: number): fc.Arbitrary<string> => fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 5 }) },
  { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 1, arbitrary: repeated(longest) },
);

/** For bodies: long strings go past every body limit (16 kB to 4 MB parsers; 70 k chars of 𝕏 is 280 kB). */
export const hostileString = strings(70_000);
/** For URLs: long, but short enough that the whole request line stays under Node's 16 kB header limit. */
export const hostileUrlString = strings(1_500);

const numberish = fc.oneof(
  fc.integer(), fc.constantFrom(0, -1, 1, 2 ** 53, -(2 ** 53), 1e308, -1e-308, 0.5, 2 ** 31, 1e20), fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON value, with prototype keys and huge or odd strings inside. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString, numberish, fc.boolean(), fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), protoKey), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A path id segment, already URL-encoded as it is sent: bad escapes, odd spellings, real-looking ids. */
export const pathId = (realIds: () => number[]): fc.Arbitrary<string> => fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '1e0', '0x1', '-1', '0', '01', '1.0', '1%20', '%201',
    '99999999999999999999', '9007199254740993', encodeURIComponent('٣'), encodeURIComponent('１'), 'null', 'NaN', '%2e%2e', '1;1') },
  { weight: 2, arbitrary: fc.nat({ max: 40 }).map(String) },
  { weight: 2, arbitrary: fc.constant(0).map(() => realIds()).chain((ids) => (ids.length ? fc.constantFrom(...ids) : fc.constant(1))).map(String) },
  { weight: 1, arbitrary: hostileUrlString.filter((s) => s.length < 200).map(encodeLoose) },
);

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Percent-encodes any string; encodeURIComponent throws on a lone surrogate, so each one is sent
 * as the bytes a careless client would send (CESU-8), which no UTF-8 decoder accepts.
 */
export function encodeLoose(s: string): string {
  return s.split(LONE_SURROGATE).map(encodeURIComponent).join('%ED%A0%80');
}
