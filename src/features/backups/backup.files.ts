import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fsyncPath } from '../../durable-files.js';

export function sha256File(file: string): string {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buffer = Buffer.allocUnsafe(1 << 20);
  try {
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** Copies a file under a temporary name in the target's directory, fsyncs, then renames into place. */
export function copyFileAtomic(source: string, target: string): void {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  fs.copyFileSync(source, temp);
  fs.chmodSync(temp, 0o600);
  fsyncPath(temp);
  fs.renameSync(temp, target);
  fsyncPath(path.dirname(target));
}

/** A UTC time as a name part that sorts by time and is valid on every filesystem. */
export const fileStamp = (date: Date): string => date.toISOString().replace(/[:.]/g, '-');

/** A one-line error message with the given paths replaced, for logs, status files and pages. */
export function oneLine(err: unknown, hidePaths: string[]): string {
  let text = err instanceof Error ? err.message : String(err);
  for (const p of hidePaths.filter(Boolean).sort((a, b) => b.length - a.length)) text = text.split(p).join('…');
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

export const sha256Text = (text: string): string => crypto.createHash('sha256').update(text).digest('hex');
