import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { tempDir } from './helpers.js';
import { runTs } from './process.js';

let dir: string;
const env = () => ({ DATA_DIR: dir, NODE_ENV: 'development' });
const createAdmin = (username: string, password: string) =>
  runTs('scripts/create-admin.ts', ['--username', username, '--password-stdin'], env(), password + '\n');
const admins = () => {
  const db = new Database(path.join(dir, 'security.db'), { readonly: true });
  try {
    return db.prepare('SELECT username, is_owner, role FROM users ORDER BY id').all() as Array<{ username: string; is_owner: number; role: string }>;
  } finally {
    db.close();
  }
};

before(() => {
  dir = tempDir();
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('npm run create-admin', () => {
  test('the first admin created from the CLI becomes the owner', async () => {
    const res = await createAdmin('operator', 'a long and unusual passphrase');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /created admin "operator" \(id \d+\) as the owner/);
    assert.deepEqual(admins(), [{ username: 'operator', is_owner: 1, role: 'admin' }]);
  });

  test('a second admin is not the owner', async () => {
    const res = await createAdmin('deputy', 'another unusual passphrase');
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stdout, /owner/);
    assert.deepEqual(admins().map((a) => [a.username, a.is_owner]), [['operator', 1], ['deputy', 0]]);
  });

  test('a weak password is refused with the rule named and nothing written', async () => {
    const short = await createAdmin('weakling', 'short');
    assert.equal(short.code, 1);
    assert.match(short.stderr, /at least 12 characters/);
    const common = await createAdmin('weakling', 'password1234');
    assert.equal(common.code, 1);
    assert.match(common.stderr, /too common/);
    const withName = await createAdmin('weakling', 'weakling-is-my-name');
    assert.equal(withName.code, 1);
    assert.match(withName.stderr, /must not contain the username/);
    assert.equal(admins().length, 2);
  });

  test('a taken username is refused whatever its case', async () => {
    const res = await createAdmin('OPERATOR', 'yet another fine passphrase');
    assert.equal(res.code, 1);
    assert.match(res.stderr, /Username already exists/);
    assert.equal(admins().length, 2);
  });

  test('a missing username prints the usage and exits non-zero', async () => {
    const res = await runTs('scripts/create-admin.ts', ['--password-stdin'], env(), 'whatever\n');
    assert.equal(res.code, 2);
    assert.match(res.stderr, /usage: npm run create-admin -- --username NAME/);
  });

  test('without --password-stdin and without a terminal it refuses instead of reading a visible password', async () => {
    const res = await runTs('scripts/create-admin.ts', ['--username', 'someone'], env(), 'visible password\n');
    assert.equal(res.code, 2);
    assert.match(res.stderr, /no terminal to prompt on/);
  });
});
