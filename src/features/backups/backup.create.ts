import { systemClock, type Clock } from '../../clock.js';
import { isProcessAlive } from './service-lock.js';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../paths.js';
import { fsyncPath } from '../../durable-files.js';
import { fileStamp, oneLine, sha256File, sha256Text } from './backup.files.js';
import { inspectCopy, vacuumInto } from './backup.repo.js';
import { recordFailure, recordSuccess } from './backup.status.js';

export const DB_FILE = 'security.db';
export const SECRETS_FILE = 'secrets.json';
export const MANIFEST_FILE = 'manifest.json';
export const BACKUP_NAME = /^backup-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/;

export interface BackupOptions {
  dataDir: string;
  backupDir: string;
  keep: number;
  secrets: { jwtSecret: string; sessionSecret: string };
}

export interface Manifest {
  format: 1;
  createdAt: string;
  schemaVersion: number;
  appVersion: string;
  files: Record<string, { sha256: string; bytes: number }>;
  /**
   * Fingerprints (first 16 hex digits of SHA-256) of the secrets in use, never the values: a
   * restore compares them with its own to say whether tokens, sessions and the chain key match.
   */
  secrets: { jwtSecret: string; sessionSecret: string; storedInBackup: boolean };
}

export const fingerprint = (secret: string): string => sha256Text(secret).slice(0, 16);

export function appVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** Removes what killed runs left (`.backup-<stamp>.<pid>.tmp` of a dead pid); a running one is left alone. */
export function removeAbandoned(backupDir: string): void {
  for (const entry of fs.readdirSync(backupDir)) {
    const match = /^\.backup-.+\.(\d+)\.tmp$/.exec(entry);
    if (match && (Number(match[1]) === process.pid ? false : !isProcessAlive(Number(match[1])))) {
      fs.rmSync(path.join(backupDir, entry), { recursive: true, force: true });
    }
  }
}

/** Complete backups in `backupDir`, newest first. */
export function listBackups(backupDir: string): string[] {
  if (!fs.existsSync(backupDir)) return [];
  return fs.readdirSync(backupDir).filter((n) => BACKUP_NAME.test(n)).sort().reverse();
}

function rotate(backupDir: string, keep: number): void {
  for (const old of listBackups(backupDir).slice(keep)) fs.rmSync(path.join(backupDir, old), { recursive: true, force: true });
}

function fileEntry(file: string) {
  return { sha256: sha256File(file), bytes: fs.statSync(file).size };
}

/** Fills `temp` with the copy, the secrets file (if any) and the manifest, each checked and synced. */
function fill(temp: string, options: BackupOptions, createdAt: Date): Manifest {
  const dbCopy = path.join(temp, DB_FILE);
  vacuumInto(path.join(options.dataDir, DB_FILE), dbCopy);
  const { problems, versions } = inspectCopy(dbCopy);
  if (problems.length) throw new Error(`the copy failed integrity_check: ${problems[0]}`);
  fsyncPath(dbCopy);
  const files: Manifest['files'] = { [DB_FILE]: fileEntry(dbCopy) };
  const secrets = path.join(options.dataDir, SECRETS_FILE);
  if (fs.existsSync(secrets)) {
    fs.copyFileSync(secrets, path.join(temp, SECRETS_FILE));
    fsyncPath(path.join(temp, SECRETS_FILE));
    files[SECRETS_FILE] = fileEntry(path.join(temp, SECRETS_FILE));
  }
  const manifest: Manifest = {
    format: 1, createdAt: createdAt.toISOString(), schemaVersion: Math.max(0, ...versions), appVersion: appVersion(), files,
    secrets: { jwtSecret: fingerprint(options.secrets.jwtSecret), sessionSecret: fingerprint(options.secrets.sessionSecret),
      storedInBackup: Boolean(files[SECRETS_FILE]) },
  };
  fs.writeFileSync(path.join(temp, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
  fsyncPath(path.join(temp, MANIFEST_FILE));
  fsyncPath(temp);
  return manifest;
}

/**
 * Makes BACKUP_DIR/backup-<UTC stamp>/ from the live data without writing to it: built under
 * a temporary name, checked, synced, then renamed (a killed run leaves only a `.tmp`, which
 * never lists as a backup and is removed by the next run). Records the result in status.json.
 */
export function createBackup(options: BackupOptions, clock: Clock = systemClock): { name: string; path: string; durationMs: number; manifest: Manifest } {
  const now = () => new Date(clock());
  const started = now();
  const name = `backup-${fileStamp(started)}`;
  const temp = path.join(options.backupDir, `.${name}.${process.pid}.tmp`);
  try {
    fs.mkdirSync(options.backupDir, { recursive: true, mode: 0o700 });
    removeAbandoned(options.backupDir);
    fs.mkdirSync(temp, { mode: 0o700 });
    const manifest = fill(temp, options, started);
    const final = path.join(options.backupDir, name);
    fs.renameSync(temp, final);
    fsyncPath(options.backupDir);
    rotate(options.backupDir, options.keep);
    const durationMs = now().getTime() - started.getTime();
    recordSuccess(options.backupDir, now(), name, durationMs);
    return { name, path: final, durationMs, manifest };
  } catch (err) {
    fs.rmSync(temp, { recursive: true, force: true });
    const reason = oneLine(err, [options.dataDir, options.backupDir]);
    try {
      recordFailure(options.backupDir, now(), reason);
    } catch {
      // The backup folder itself may be what fails (full, read-only): the thrown error says so.
    }
    throw new Error(reason, { cause: err });
  }
}
