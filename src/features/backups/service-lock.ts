import fs from 'node:fs';
import path from 'node:path';
import { StartupRefusal } from '../../startup-refusal.js';

export const LOCK_FILE = 'service.pid';

/** Whether a process with this pid exists (EPERM: it does, under another user). */
export const isProcessAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Marks DATA_DIR as served by this process (its pid in service.pid), removed at exit. Refuses
 * while another live process holds it (two services on one database, or a restore's check
 * fooled by the second one's exit); a file left by a killed process is taken over.
 */
export function holdServiceLock(dataDir: string): void {
  const file = path.join(dataDir, LOCK_FILE);
  const holder = runningServicePid(dataDir);
  if (holder !== null) {
    throw new StartupRefusal(`${file}: another service (pid ${holder}) is running on this data directory; stop it first, or give this one its own DATA_DIR`);
  }
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
  } catch (err) {
    throw new StartupRefusal(`${dataDir} (the data directory) is not writable (${(err as NodeJS.ErrnoException).code}): ` +
      'make it writable by this user (or remount its filesystem read-write), then start again');
  }
  process.on('exit', () => {
    try {
      if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file);
    } catch {
      // Already gone.
    }
  });
}

/** The pid of a live service on DATA_DIR, or null (no file, unreadable, or its process is dead). */
export function runningServicePid(dataDir: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8').trim();
  } catch {
    return null;
  }
  const pid = Number(text);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isProcessAlive(pid) ? pid : null;
}
