import { parentPort, workerData } from 'node:worker_threads';
import { createBackup, type BackupOptions } from './backup.create.js';

// Runs one backup on this worker thread with its own connections, so the service's event loop
// keeps answering while VACUUM INTO (synchronous in better-sqlite3) copies the database.
try {
  const result = createBackup(workerData as BackupOptions);
  parentPort!.postMessage({ ok: true, name: result.name, durationMs: result.durationMs });
} catch (err) {
  parentPort!.postMessage({ ok: false, error: (err as Error).message });
}
