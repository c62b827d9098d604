import fs from 'node:fs';
import path from 'node:path';
import type { Migration } from '../../db.js';
import { DB_FILE, SECRETS_FILE, type Manifest } from './backup.create.js';
import { fsyncPath } from '../../durable-files.js';
import { copyFileAtomic, fileStamp } from './backup.files.js';
import { verifyBackup } from './backup.verify.js';
import { runningServicePid } from './service-lock.js';

export class RestoreRefused extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** What the service keeps in DATA_DIR: a restore sets all of it aside, never deletes it. */
const LIVE_FILES = [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, `${DB_FILE}-journal`, 'sessions.db', 'sessions.db-wal', 'sessions.db-shm', 'sessions.db-journal'];

export interface Placed {
  folder: string;
  manifest: Manifest;
  replacedDir: string;
  moved: string[];
  placed: string[];
}

function moveAside(dataDir: string, names: string[], now: Date): { replacedDir: string; moved: string[] } {
  const replacedDir = path.join(dataDir, `replaced-${fileStamp(now)}`);
  fs.mkdirSync(replacedDir, { mode: 0o700 });
  const moved = names.filter((name) => fs.existsSync(path.join(dataDir, name)));
  for (const name of moved) fs.renameSync(path.join(dataDir, name), path.join(replacedDir, name));
  fsyncPath(replacedDir);
  fsyncPath(dataDir);
  return { replacedDir, moved };
}

/**
 * The file half of a restore: refuses while a service holds DATA_DIR or when the backup does
 * not verify; otherwise moves the current database, its -wal/-shm, the session store (ending
 * every panel session) and, when the backup carries one, secrets.json into
 * DATA_DIR/replaced-<stamp>/, then places the backup's files (temporary name, fsync, rename).
 */
export function placeBackup(dataDir: string, given: string, migrations: Migration[], now = new Date()): Placed {
  const pid = runningServicePid(dataDir);
  if (pid !== null) throw new RestoreRefused([`the service is running on this data directory (pid ${pid}); stop it first`]);
  const { folder, manifest, problems } = verifyBackup(given, migrations);
  if (problems.length > 0 || !manifest) throw new RestoreRefused(problems.map((p) => `backup does not verify: ${p}`));
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const withSecrets = Boolean(manifest.files[SECRETS_FILE]);
  const { replacedDir, moved } = moveAside(dataDir, withSecrets ? [...LIVE_FILES, SECRETS_FILE] : LIVE_FILES, now);
  const placed = Object.keys(manifest.files);
  for (const name of placed) copyFileAtomic(path.join(folder, name), path.join(dataDir, name));
  return { folder, manifest, replacedDir, moved, placed };
}
