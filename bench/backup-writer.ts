import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';

// A separate writer process: one-row commits (synchronous=FULL, as the service writes its
// security tables) back to back until stdin closes; then prints [startedAtMs, latencyMs] pairs.
const db = new Database(path.join(process.argv[2]!, 'security.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
const add = db.prepare('INSERT INTO message_logs (sender_id, recipient_phone, status, sent_at) VALUES (1, \'+34600000001\', \'sent\', ?)');
const samples: Array<[number, number]> = [];
let running = true;
process.stdin.on('end', () => (running = false));
process.stdin.resume();
while (running) {
  const started = performance.timeOrigin + performance.now();
  const t0 = performance.now();
  add.run(new Date().toISOString());
  samples.push([started, performance.now() - t0]);
  // Let the stdin 'end' event through now and then.
  if (samples.length % 50 === 0) await new Promise((r) => setImmediate(r));
}
db.close();
process.stdout.write(JSON.stringify(samples));
