import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { estimatedBits } from '../src/config-secrets.js';
import { CONFIG_VARIABLES, ConfigError, loadConfig, readEnvironment } from '../src/config.js';
import { tempDir } from './helpers.js';
import { ROOT, runTs } from './process.js';

const GOOD_JWT = 'kR4nD0m-JWT-s3cr3t-with-enough-entropy-9f8e7d6c';
const GOOD_SESSION = 'Zq8wX2vB6nM4lK9jH3gF7dS1aP5oI0uY-session-key';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  test('defaults match the original service', () => {
    const config = loadConfig({ DATA_DIR: tempDir() });
    assert.equal(config.port, 5501);
    assert.equal(config.host, '127.0.0.1');
    assert.deepEqual(config.mainAppOrigins, ['http://127.0.0.1:5500']);
    assert.equal(config.session.idleMinutes, 30);
    assert.equal(config.session.absoluteHours, 12);
    assert.equal(config.session.secureCookie, false);
    assert.equal(config.dbSynchronous, 'FULL');
  });

  test('each bad variable gets its own one-line error naming it', () => {
    const problems = problemsOf({ SECURITY_PORT: 'eighty', MAIN_APP_URL: 'ftp://x, not a url', TRUST_PROXY: 'true', NODE_ENV: 'staging' });
    assert.equal(problems.length, 5);
    for (const name of ['SECURITY_PORT', 'MAIN_APP_URL', 'TRUST_PROXY', 'NODE_ENV']) {
      assert.ok(problems.some((p) => p.startsWith(name + ':')), `${name} is named`);
    }
    assert.ok(problems.every((p) => !p.includes('\n')));
  });

  test('in development missing secrets are generated once and kept in DATA_DIR', () => {
    const dir = tempDir();
    const first = loadConfig({ DATA_DIR: dir });
    const second = loadConfig({ DATA_DIR: dir });
    assert.ok(first.jwtSecret.length >= 32 && first.sessionSecret.length >= 32);
    assert.notEqual(first.jwtSecret, first.sessionSecret);
    assert.equal(second.jwtSecret, first.jwtSecret);
    assert.equal(second.sessionSecret, first.sessionSecret);
    assert.equal(fs.statSync(path.join(dir, 'secrets.json')).mode & 0o777, 0o600);
  });

  test('.env is read and real environment variables win over it', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, '.env'), 'SECURITY_PORT=6000\nHOST=0.0.0.0\n');
    const env = readEnvironment(dir, { HOST: '127.0.0.2' });
    assert.equal(env.SECURITY_PORT, '6000');
    assert.equal(env.HOST, '127.0.0.2');
  });
});

describe('production refusals', () => {
  const prod = (extra: Record<string, string>) => problemsOf({ NODE_ENV: 'production', DATA_DIR: tempDir(), ...extra });

  test('missing secrets are refused', () => {
    const problems = prod({});
    assert.ok(problems.includes('JWT_SECRET_KEY: is missing (NODE_ENV=production)'));
    assert.ok(problems.includes('SESSION_SECRET: is missing (NODE_ENV=production)'));
  });

  test('short, placeholder and repeated secrets are refused', () => {
    assert.match(prod({ JWT_SECRET_KEY: 'short', SESSION_SECRET: GOOD_SESSION }).join(), /JWT_SECRET_KEY: must be at least 32 characters/);
    assert.match(prod({ JWT_SECRET_KEY: 'your-secret-key-change-in-production-please', SESSION_SECRET: GOOD_SESSION }).join(), /placeholder/);
    assert.match(prod({ JWT_SECRET_KEY: 'a'.repeat(40), SESSION_SECRET: GOOD_SESSION }).join(), /too few distinct/);
    assert.match(prod({ JWT_SECRET_KEY: GOOD_JWT, SESSION_SECRET: GOOD_JWT }).join(), /must differ/);
  });

  test('guessable secrets (digit runs, keyboard walks, repeated words) are refused in one line that says how to make one', () => {
    const guessable = ['0123456789012345678901234567890123', 'qwertyuiop'.repeat(4), 'zxcvbnm,./zxcvbnm,./zxcvbnm,./zxcvbnm',
      '1234567890-=qwertyuiop[]asdfghjkl;', 'monkeydragonmonkeydragonmonkeydragon', 'correcthorsebatterystaplecorrecthorse'];
    for (const secret of guessable) {
      const problems = prod({ JWT_SECRET_KEY: GOOD_JWT, SESSION_SECRET: secret });
      assert.equal(problems.length, 1, secret);
      assert.match(problems[0]!, /^SESSION_SECRET: is guessable \(about \d+ bits of estimated entropy, at least 128 required\); generate one with `openssl rand -base64 48` \(NODE_ENV=production\)$/);
      assert.ok(!problems[0]!.includes(secret), 'the secret itself is not echoed');
    }
  });

  test('random 48-byte secrets pass the entropy check, as do the fixed ones these tests use', () => {
    const jwt = crypto.randomBytes(48).toString('base64');
    const session = crypto.randomBytes(48).toString('base64url');
    assert.deepEqual(prod({ JWT_SECRET_KEY: jwt, SESSION_SECRET: session }), []);
    assert.deepEqual(prod({ JWT_SECRET_KEY: GOOD_JWT, SESSION_SECRET: GOOD_SESSION }), []);
    assert.ok(estimatedBits(jwt) >= 128 && estimatedBits(session) >= 128);
  });

  test('a header timeout longer than the request timeout is refused, naming the variable', () => {
    const problems = problemsOf({ DATA_DIR: tempDir(), HEADERS_TIMEOUT_SECONDS: '10', REQUEST_TIMEOUT_SECONDS: '5' });
    assert.deepEqual(problems, ['HEADERS_TIMEOUT_SECONDS: must not exceed REQUEST_TIMEOUT_SECONDS (5)']);
    assert.deepEqual(problemsOf({ DATA_DIR: tempDir(), HEADERS_TIMEOUT_SECONDS: '11' }).map((p) => p.split(':')[0]), ['HEADERS_TIMEOUT_SECONDS']);
    assert.deepEqual(problemsOf({ DATA_DIR: tempDir(), REQUEST_TIMEOUT_SECONDS: '31' }).map((p) => p.split(':')[0]), ['REQUEST_TIMEOUT_SECONDS']);
    const config = loadConfig({ DATA_DIR: tempDir() });
    assert.deepEqual(config.server,
      { maxConnections: 1000, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5000, shutdownGraceMs: 5000 });
  });

  test('a default admin password is refused', () => {
    const problems = prod({ JWT_SECRET_KEY: GOOD_JWT, SESSION_SECRET: GOOD_SESSION, ADMIN_PASSWORD: 'admin123' });
    assert.deepEqual(problems, ['ADMIN_PASSWORD: is a known default password; choose another or unset it (NODE_ENV=production)']);
  });

  test('strong settings start, with Secure __Host- cookies', () => {
    const config = loadConfig({ NODE_ENV: 'production', DATA_DIR: tempDir(), JWT_SECRET_KEY: GOOD_JWT, SESSION_SECRET: GOOD_SESSION });
    assert.equal(config.session.secureCookie, true);
    assert.equal(config.session.cookieName, '__Host-nexus.sid');
  });

  test('the server process exits non-zero with one clear line on a weak secret', async () => {
    const dir = tempDir();
    const res = await runTs('src/server.ts', [], {
      NODE_ENV: 'production', DATA_DIR: dir, JWT_SECRET_KEY: 'weak', SESSION_SECRET: GOOD_SESSION, SECURITY_PORT: '0',
    });
    assert.equal(res.code, 1);
    const lines = res.stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^nexus-security: configuration error: JWT_SECRET_KEY: must be at least 32 characters/);
    assert.equal(fs.existsSync(path.join(dir, 'security.db')), false, 'nothing was created');
  });

  test('the server process refuses a guessable secret with one line and creates nothing', async () => {
    const dir = tempDir();
    const res = await runTs('src/server.ts', [], {
      NODE_ENV: 'production', DATA_DIR: dir, JWT_SECRET_KEY: '0123456789012345678901234567890123', SESSION_SECRET: GOOD_SESSION, SECURITY_PORT: '0',
    });
    assert.equal(res.code, 1);
    const lines = res.stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^nexus-security: configuration error: JWT_SECRET_KEY: is guessable \(about \d+ bits .*openssl rand -base64 48/);
    assert.equal(fs.existsSync(path.join(dir, 'security.db')), false, 'nothing was created');
  });

  test('the server process refuses the default admin password', async () => {
    const res = await runTs('src/server.ts', [], {
      NODE_ENV: 'production', DATA_DIR: tempDir(), JWT_SECRET_KEY: GOOD_JWT, SESSION_SECRET: GOOD_SESSION, ADMIN_PASSWORD: 'admin123', SECURITY_PORT: '0',
    });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /ADMIN_PASSWORD: is a known default password/);
  });
});

describe('.env.example', () => {
  test('lists every variable, and copied as-is gives a working development configuration', () => {
    const text = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const listed = [...text.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]);
    assert.deepEqual([...listed].sort(), [...CONFIG_VARIABLES].sort());
    const dir = tempDir();
    fs.copyFileSync(path.join(ROOT, '.env.example'), path.join(dir, '.env'));
    const config = loadConfig({ ...readEnvironment(dir, {}), DATA_DIR: dir });
    assert.equal(config.port, 5501);
    assert.equal(config.adminPassword, undefined);
  });
});
