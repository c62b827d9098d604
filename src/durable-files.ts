import fs from 'node:fs';
import path from 'node:path';

/** Flushes a file or directory to disk: a rename is only durable once its directory is synced. */
export function fsyncPath(target: string): void {
  const fd = fs.openSync(target, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes a file under a temporary name, fsyncs it, renames it over `file`, fsyncs the directory. */
export function writeFileAtomic(file: string, content: string | Buffer): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(temp, content, { mode: 0o600 });
    fsyncPath(temp);
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
  fsyncPath(path.dirname(file));
}
