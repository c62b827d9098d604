import path from 'node:path';
import { migrate, openDatabase } from '../src/db.js';
import { hashPassword } from '../src/passwords/password.js';
import { GENESIS_HASH, hashRow } from '../src/features/activity/activity.chain.js';

const FIRST = ['Ana', 'Ben', 'Carla', 'David', 'Elena', 'Farid', 'Grace', 'Hugo', 'Irene', 'Jonas', 'Karim', 'Lucía', 'Marta', 'Nadia', 'Omar', 'Paula'];
const LAST = ['García', 'Smith', 'Müller', 'Rossi', 'Silva', 'Kowalski', 'Dubois', 'Nakamura', 'Okafor', 'Jensen', 'Novak', 'Haddad'];

export interface Seeded {
  password: string;
  admin: string;
  manager: string;
  workers: string[];
}

/**
 * Fills a fresh data directory with `contacts` contacts synced by `workerCount` workers (and
 * their sources), quickly: rows are loaded in large transactions and the search index is
 * built once at the end.
 */
export async function seedContacts(dataDir: string, contacts: number, workerCount: number): Promise<Seeded> {
  const db = openDatabase(path.join(dataDir, 'security.db'), { synchronous: 'NORMAL' });
  migrate(db);
  const password = 'bench owner passphrase';
  const hash = await hashPassword(password);
  const now = new Date().toISOString();
  const addUser = db.prepare(`INSERT INTO users (username, password_hash, role, is_owner, created_by, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const adminId = Number(addUser.run('bench-admin', hash, 'admin', 1, null, now, now).lastInsertRowid);
  const managerId = Number(addUser.run('bench-manager', hash, 'manager', 0, adminId, now, now).lastInsertRowid);
  const workers: Array<{ id: number; name: string }> = [];
  for (let i = 0; i < workerCount; i += 1) {
    const name = `bench-worker-${i}`;
    // The first 20 workers are the manager's team (a tenth of the contacts with 200 workers).
    workers.push({ id: Number(addUser.run(name, hash, 'worker', 0, i < 20 ? managerId : adminId, now, now).lastInsertRowid), name });
  }

  const addContact = db.prepare('INSERT INTO contacts (id, phone, created_at, updated_at) VALUES (?, ?, ?, ?)');
  // One source per contact, its id the contact's id times 2^20 (migration 006), named by its syncer.
  const addSource = db.prepare(`INSERT INTO contact_sources (scraped_by, contact_id, source_group, id, name, named_at, first_scraped_at, scraped_at)
    VALUES (?, ?, ?, ? * 1048576, ?, ?, ?, ?)`);
  const load = db.transaction((from: number, to: number) => {
    for (let id = from; id < to; id += 1) {
      const name = `${FIRST[id % FIRST.length]} ${LAST[(id * 7) % LAST.length]} ${id % 997}`;
      addContact.run(id, `+34${String(600_000_000 + id * 37).slice(0, 9)}`, now, now);
      addSource.run(workers[id % workers.length]!.id, id, `Group ${id % 50}`, id, name, now, now, now);
    }
  });
  for (let from = 1; from <= contacts; from += 50_000) load(from, Math.min(contacts + 1, from + 50_000));
  db.exec("INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild')");
  db.exec("INSERT INTO contact_names_fts (contact_names_fts) VALUES ('rebuild')");
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { password, admin: 'bench-admin', manager: 'bench-manager', workers: workers.map((w) => w.name) };
}

/**
 * Adds `messages` message logs from the seeded workers spread over the last 30 days, and
 * `events` sign-in events (a tenth failed) chained exactly as the application chains them.
 */
export function seedHistory(dataDir: string, messages: number, events: number): void {
  const db = openDatabase(path.join(dataDir, 'security.db'), { synchronous: 'NORMAL' });
  const workers = db.prepare("SELECT id, username FROM users WHERE role = 'worker'").all() as Array<{ id: number; username: string }>;
  const span = 30 * 86_400_000;
  const start = Date.now() - span;
  const addMessage = db.prepare(`INSERT INTO message_logs (sender_id, recipient_phone, message_content, status, sent_at)
    VALUES (?, ?, 'Seeded message', ?, ?)`);
  const loadMessages = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i += 1) {
      addMessage.run(workers[i % workers.length]!.id, `+34699${String(i % 100_000).padStart(6, '0')}`, i % 20 === 0 ? 'failed' : 'sent',
        new Date(start + Math.floor((i / messages) * span)).toISOString());
    }
  });
  for (let from = 0; from < messages; from += 100_000) loadMessages(from, Math.min(messages, from + 100_000));

  const addEvent = db.prepare(`INSERT INTO activity_log (at, user_id, username, login_ref, action, target_type, target_id, ip, user_agent, outcome, detail, prev_hash, hash)
    VALUES (@at, @user_id, @username, @login_ref, @action, @target_type, @target_id, @ip, @user_agent, @outcome, @detail, @prev_hash, @hash)`);
  let previous = (db.prepare('SELECT hash FROM activity_log ORDER BY id DESC LIMIT 1').pluck().get() as string | undefined) ?? GENESIS_HASH;
  const loadEvents = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i += 1) {
      const worker = workers[i % workers.length]!;
      const outcome: 'failure' | 'success' = i % 10 === 0 ? 'failure' : 'success';
      const row = { at: new Date(start + Math.floor((i / events) * span)).toISOString(), user_id: worker.id, username: worker.username,
        login_ref: null, action: 'login', target_type: 'user', target_id: String(worker.id), ip: `10.1.${i % 200}.${i % 250}`, user_agent: 'bench',
        outcome, detail: JSON.stringify({ target_username: worker.username, channel: 'api' }), prev_hash: previous };
      previous = hashRow(row);
      addEvent.run({ ...row, hash: previous });
    }
  });
  for (let from = 0; from < events; from += 50_000) loadEvents(from, Math.min(events, from + 50_000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}
