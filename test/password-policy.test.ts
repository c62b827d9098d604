import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkPassword } from '../src/passwords/password-policy.js';

describe('password policy', () => {
  const cases: Array<[string, string, Parameters<typeof checkPassword>[1], string | null]> = [
    ['11 characters are too few', 'abcdefghijk', {}, 'min_length'],
    ['12 characters of any kind pass', 'zq!x 7mé ~b/', {}, null],
    ['emoji count as one character each', '🔒'.repeat(11), {}, 'min_length'],
    ['129 characters are too many', 'x'.repeat(64) + 'y'.repeat(65), {}, 'max_length'],
    ['a leaked password is refused, whatever its case', 'QAZWSXEDCRFV', {}, 'common'],
    ['a long common password is refused', '1qaz2wsx3edc', {}, 'common'],
    ['the username inside is refused, whatever its case', 'xx-MaRiA.worker-xx', { username: 'maria.worker' }, 'contains_username'],
    ['character classes are not required by default', 'only lowercase words here', {}, null],
    ['character classes are required when enabled', 'only lowercase words here', { requireClasses: true }, 'character_classes'],
    ['all four classes satisfy the option', 'Four Classes 4 sure!', { requireClasses: true }, null],
  ];
  for (const [name, password, options, rule] of cases) {
    test(name, () => {
      assert.equal(checkPassword(password, options)?.rule ?? null, rule);
    });
  }

  test('the message names the rule that failed', () => {
    assert.equal(checkPassword('short')?.message, 'Password must be at least 12 characters');
  });
});
