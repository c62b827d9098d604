import { systemClock, type Clock } from '../../clock.js';
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

function moveAside(dataDir: string, names: string[], now: Date): { replacedDir: string; moved: string[] } {
  const replacedDir = path.join(dataDir, `replaced-${fileStamp(now)}`);
  fs.mkdirSync(replacedDir, { mode: 0o700 });
  const moved = names.filter((name) => fs.existsSync(path.join(dataDir, name)));
  for (const name of moved) fs.renameSync(path.join(dataDir, name), path.join(replacedDir, name));
  fsyncPath(replacedDir);
  return { replacedDir, moved };
}

export interface Staged {
  folder: string;
  manifest: Manifest;
  /** DATA_DIR/.restore-<stamp>/: the backup's files, copied and fsynced, on the live filesystem. */
  stagingDir: string;
  files: string[];
}

/**
 * The first half of a restore, which changes nothing the service uses: refuses while a service
 * holds DATA_DIR or when the backup does not verify, then copies the backup's files into a
 * staging folder inside DATA_DIR (so a full disk shows here, before anything is moved). The
 * caller finishes the staged database (migrations, ending every sign-in) and then swaps it in.
 */
export function stageBackup(dataDir: string, given: string, migrations: Migration[], clock: Clock = systemClock): Staged {
  const now = new Date(clock());
  const pid = runningServicePid(dataDir);
  if (pid !== null) throw new RestoreRefused([`the service is running on this data directory (pid ${pid}); stop it first`]);
  const { folder, manifest, problems } = verifyBackup(given, migrations);
  if (problems.length > 0 || !manifest) throw new RestoreRefused(problems.map((p) => `backup does not verify: ${p}`));
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const stagingDir = path.join(dataDir, `.restore-${fileStamp(now)}`);
  fs.mkdirSync(stagingDir, { mode: 0o700 });
  const files = Object.keys(manifest.files);
  try {
    for (const name of files) copyFileAtomic(path.join(folder, name), path.join(stagingDir, name));
  } catch (err) {
    fs.rmSync(stagingDir, { recursive: true, force: true });
    throw err;
  }
  return { folder, manifest, stagingDir, files };
}

/**
 * The second half: moves the current database, its -wal/-shm, the session store (ending every
 * panel session) and, when the backup carries one, secrets.json into DATA_DIR/replaced-<stamp>/,
 * then renames the finished staged files into place. Renames only, on one filesystem; if one
 * fails, the files already moved are moved back.
 */
export function swapIn(dataDir: string, staged: Staged, clock: Clock = systemClock): { replacedDir: string; moved: string[] } {
  const now = new Date(clock());
  const withSecrets = staged.files.includes(SECRETS_FILE);
  const aside = moveAside(dataDir, withSecrets ? [...LIVE_FILES, SECRETS_FILE] : LIVE_FILES, now);
  const placed: string[] = [];
  try {
    for (const name of staged.files) {
      fs.renameSync(path.join(staged.stagingDir, name), path.join(dataDir, name));
      placed.push(name);
    }
    fsyncPath(dataDir);
  } catch (err) {
    for (const name of placed) fs.renameSync(path.join(dataDir, name), path.join(staged.stagingDir, name));
    for (const name of aside.moved) fs.renameSync(path.join(aside.replacedDir, name), path.join(dataDir, name));
    throw err;
  }
  fs.rmSync(staged.stagingDir, { recursive: true, force: true });
  return aside;
}
