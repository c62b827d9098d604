import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { migrate, openDatabase, readMigrations } from '../src/db.js';
import { tempDir } from './helpers.js';

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo';
const insert = `INSERT INTO users (username, password_hash, role, is_owner, created_at, updated_at)
  VALUES (?, ?, ?, ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`;

describe('database', () => {
  test('opens in WAL with foreign keys, a busy timeout and the chosen synchronous level', () => {
    const db = openDatabase(path.join(tempDir(), 'security.db'));
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
    assert.equal(db.pragma('synchronous', { simple: true }), 2, 'FULL');
    db.close();
    const normal = openDatabase(path.join(tempDir(), 'n.db'), { synchronous: 'NORMAL' });
    assert.equal(normal.pragma('synchronous', { simple: true }), 1);
    normal.close();
  });

  test('migrations apply once, are recorded, and a second run changes nothing', () => {
    const db = openDatabase(path.join(tempDir(), 'security.db'));
    const first = migrate(db);
    assert.deepEqual(first, readMigrations().map((m) => m.name));
    const schema = db.prepare('SELECT sql FROM sqlite_master ORDER BY name').all();
    assert.deepEqual(migrate(db), []);
    assert.deepEqual(db.prepare('SELECT sql FROM sqlite_master ORDER BY name').all(), schema);
    assert.equal(db.prepare('SELECT count(*) FROM schema_migrations').pluck().get(), first.length);
    db.close();
  });

  test('a migration edited after it shipped stops the start', () => {
    const db = openDatabase(path.join(tempDir(), 'security.db'));
    migrate(db);
    const edited = readMigrations().map((m, i) => (i === 0 ? { ...m, checksum: 'different' } : m));
    assert.throws(() => migrate(db, edited), /001_users\.sql changed after it was applied/);
    db.close();
  });

  test('a failing migration leaves nothing half-applied', () => {
    const db = openDatabase(path.join(tempDir(), 'security.db'));
    const broken = [...readMigrations(), { version: 999, name: '999_broken.sql', sql: 'CREATE TABLE ok_table (id INTEGER); SELECT * FROM missing_table;', checksum: 'x' }];
    assert.throws(() => migrate(db, broken));
    assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name IN ('users', 'ok_table')").pluck().get(), 0);
    db.close();
  });

  test('usernames are unique regardless of case, and there is at most one owner', () => {
    const db = openDatabase(path.join(tempDir(), 'security.db'));
    migrate(db);
    db.prepare(insert).run('Alice', HASH, 'admin', 1);
    assert.throws(() => db.prepare(insert).run('ALICE', HASH, 'worker', 0), /UNIQUE/);
    assert.throws(() => db.prepare(insert).run('bob', HASH, 'admin', 1), /UNIQUE/);
    assert.throws(() => db.prepare(insert).run('carol', HASH, 'manager', 1), /CHECK/, 'only an admin can be the owner');
    assert.throws(() => db.prepare(insert).run('dave', 'plaintext', 'worker', 0), /CHECK/, 'only argon2id hashes are stored');
    db.close();
  });

  test('the chain seal is one row, written once, and checkpoints cannot be removed', () => {
    const db = openDatabase(path.join(tempDir(), 'security.db'));
    migrate(db);
    const seal = db.prepare(`INSERT INTO activity_chain_seal (id, at, keyed_from_id, legacy_rows, legacy_end_hash, legacy_checkpoint_id, key_check, mac)
      VALUES (?, '2026-01-01T00:00:00.000Z', 1, 0, 'h', 0, 'k', 'm')`);
    assert.throws(() => seal.run(2), /CHECK/, 'only one seal');
    seal.run(1);
    assert.throws(() => db.prepare("UPDATE activity_chain_seal SET mac = 'forged'").run(), /written once/);
    assert.throws(() => db.prepare('DELETE FROM activity_chain_seal').run(), /written once/);
    db.prepare("INSERT INTO activity_checkpoints (at, up_to_id, last_hash, removed, mac) VALUES ('2026-01-01T00:00:00.000Z', 1, 'h', 1, 'm')").run();
    assert.throws(() => db.prepare('DELETE FROM activity_checkpoints').run(), /append-only/);
    assert.deepEqual(db.prepare('SELECT (SELECT mac FROM activity_chain_seal) AS seal, (SELECT count(*) FROM activity_checkpoints) AS checkpoints').get(),
      { seal: 'm', checkpoints: 1 });
    db.close();
  });
});
