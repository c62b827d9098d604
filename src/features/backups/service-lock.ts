import fs from 'node:fs';
import path from 'node:path';

export const LOCK_FILE = 'service.pid';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Marks DATA_DIR as served by this process (its pid in service.pid), removed at exit. A file
 * left by a killed process is simply overwritten: only a live pid counts as a running service.
 */
export function holdServiceLock(dataDir: string): void {
  const file = path.join(dataDir, LOCK_FILE);
  fs.writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
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
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : null;
}
