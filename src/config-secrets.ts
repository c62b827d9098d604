import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { writeFileAtomic } from './durable-files.js';
import { isCommonPassword } from './passwords/password-policy.js';
import { StartupRefusal } from './startup-refusal.js';

const MIN_SECRET_LENGTH = 32;
const PLACEHOLDER = /change|secret|example|default|your[-_]?/i;
const KNOWN_DEFAULT_PASSWORDS = new Set(['admin', 'admin123', 'admin1234', 'administrator', 'password', 'changeme', 'letmein']);

const MIN_SECRET_BITS = 128;
const HOW_TO_MAKE_ONE = 'generate one with `openssl rand -base64 48`';

// Built on first use (about 0.1 s): only a production start checks secrets.
let estimator: ZxcvbnFactory | undefined;

/**
 * Estimated entropy in bits: zxcvbn's guess count, with the common-password and word lists and
 * the keyboard layouts, so digit runs, keyboard walks and repeated words score what they are.
 * It underrates a short hex string (32 hex characters count as ~106 bits); longer is fine.
 */
export function estimatedBits(value: string): number {
  estimator ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });
  return estimator.check(value).guessesLog10 / Math.log10(2);
}

/** Why a secret is unfit for production, in one line, or null when it is fine. */
export function secretWeakness(value: string | undefined): string | null {
  if (!value) return 'is missing';
  if (value.length < MIN_SECRET_LENGTH) return `must be at least ${MIN_SECRET_LENGTH} characters; ${HOW_TO_MAKE_ONE}`;
  if (PLACEHOLDER.test(value)) return `looks like a placeholder value; ${HOW_TO_MAKE_ONE}`;
  if (new Set(value).size < 10) return `has too few distinct characters; ${HOW_TO_MAKE_ONE}`;
  const bits = estimatedBits(value);
  if (bits < MIN_SECRET_BITS) {
    return `is guessable (about ${Math.floor(bits)} bits of estimated entropy, at least ${MIN_SECRET_BITS} required); ${HOW_TO_MAKE_ONE}`;
  }
  return null;
}

/**
 * The activity chain's HMAC key: HKDF-SHA256 from SESSION_SECRET under its own label, so it
 * is independent of the cookie signatures made with the same secret.
 */
export function deriveChainKey(sessionSecret: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', sessionSecret, 'nexus-security', 'activity-log chain v1', 32));
}

export function isKnownDefaultPassword(password: string): boolean {
  return KNOWN_DEFAULT_PASSWORDS.has(password.toLowerCase()) || isCommonPassword(password);
}

interface DevSecrets {
  jwtSecret: string;
  sessionSecret: string;
}

/**
 * Outside production, secrets that are not configured are generated once and kept in
 * DATA_DIR/secrets.json (mode 0600), so restarts keep sessions and tokens valid.
 */
export function ensureDevSecrets(dataDir: string, given: Partial<Record<keyof DevSecrets, string>>, persist = true): DevSecrets {
  if (given.jwtSecret && given.sessionSecret) return { jwtSecret: given.jwtSecret, sessionSecret: given.sessionSecret };
  const file = path.join(dataDir, 'secrets.json');
  const stored = readStored(file);
  const secrets: DevSecrets = {
    jwtSecret: stored.jwtSecret ?? randomSecret(),
    sessionSecret: stored.sessionSecret ?? randomSecret(),
  };
  if (persist && (stored.jwtSecret !== secrets.jwtSecret || stored.sessionSecret !== secrets.sessionSecret)) {
    // Atomic: a crash mid-write must never leave a truncated file that ends every session.
    try {
      fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      writeFileAtomic(file, JSON.stringify(secrets, null, 2));
    } catch (err) {
      throw new StartupRefusal(`${file} cannot be written (${(err as NodeJS.ErrnoException).code ?? 'error'}): ` +
        'make the data directory writable by this user (or set JWT_SECRET_KEY and SESSION_SECRET), then start again');
    }
  }
  return {
    jwtSecret: given.jwtSecret ?? secrets.jwtSecret,
    sessionSecret: given.sessionSecret ?? secrets.sessionSecret,
  };
}

function readStored(file: string): Partial<DevSecrets> {
  if (!fs.existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? 'not valid JSON';
    throw new StartupRefusal(`${file} is unreadable or corrupt (${why}): restore it from a backup (npm run restore), ` +
      'or move it aside to start with new secrets, which ends every session and token');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new StartupRefusal(`${file} is corrupt (not a JSON object): restore it from a backup (npm run restore), ` +
      'or move it aside to start with new secrets, which ends every session and token');
  }
  const { jwtSecret, sessionSecret } = parsed as Record<string, unknown>;
  return {
    jwtSecret: typeof jwtSecret === 'string' ? jwtSecret : undefined,
    sessionSecret: typeof sessionSecret === 'string' ? sessionSecret : undefined,
  };
}

function randomSecret(): string {
  return crypto.randomBytes(48).toString('base64url');
}
