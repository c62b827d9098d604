import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isCommonPassword } from './features/auth/password-policy.js';

const MIN_SECRET_LENGTH = 32;
const PLACEHOLDER = /change|secret|example|default|your[-_]?/i;
const KNOWN_DEFAULT_PASSWORDS = new Set(['admin', 'admin123', 'admin1234', 'administrator', 'password', 'changeme', 'letmein']);

/** Why a secret is unfit for production, or null when it is fine. */
export function secretWeakness(value: string | undefined): string | null {
  if (!value) return 'is missing';
  if (value.length < MIN_SECRET_LENGTH) return `must be at least ${MIN_SECRET_LENGTH} characters`;
  if (PLACEHOLDER.test(value)) return 'looks like a placeholder value';
  if (new Set(value).size < 10) return 'has too few distinct characters';
  return null;
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
export function ensureDevSecrets(dataDir: string, given: Partial<Record<keyof DevSecrets, string>>): DevSecrets {
  if (given.jwtSecret && given.sessionSecret) return { jwtSecret: given.jwtSecret, sessionSecret: given.sessionSecret };
  const file = path.join(dataDir, 'secrets.json');
  const stored = readStored(file);
  const secrets: DevSecrets = {
    jwtSecret: stored.jwtSecret ?? randomSecret(),
    sessionSecret: stored.sessionSecret ?? randomSecret(),
  };
  if (stored.jwtSecret !== secrets.jwtSecret || stored.sessionSecret !== secrets.sessionSecret) {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return {
    jwtSecret: given.jwtSecret ?? secrets.jwtSecret,
    sessionSecret: given.sessionSecret ?? secrets.sessionSecret,
  };
}

function readStored(file: string): Partial<DevSecrets> {
  if (!fs.existsSync(file)) return {};
  const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null) return {};
  const { jwtSecret, sessionSecret } = parsed as Record<string, unknown>;
  return {
    jwtSecret: typeof jwtSecret === 'string' ? jwtSecret : undefined,
    sessionSecret: typeof sessionSecret === 'string' ? sessionSecret : undefined,
  };
}

function randomSecret(): string {
  return crypto.randomBytes(48).toString('base64url');
}
