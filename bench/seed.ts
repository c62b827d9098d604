import path from 'node:path';
import { migrate, openDatabase } from '../src/db.js';
import { hashPassword } from '../src/features/auth/password.js';

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

  const addContact = db.prepare('INSERT INTO contacts (id, phone, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)');
  const addSource = db.prepare(`INSERT INTO contact_sources (scraped_by, contact_id, source_group, first_scraped_at, scraped_at)
    VALUES (?, ?, ?, ?, ?)`);
  const load = db.transaction((from: number, to: number) => {
    for (let id = from; id < to; id += 1) {
      const name = `${FIRST[id % FIRST.length]} ${LAST[(id * 7) % LAST.length]} ${id % 997}`;
      addContact.run(id, `+34${String(600_000_000 + id * 37).slice(0, 9)}`, name, now, now);
      addSource.run(workers[id % workers.length]!.id, id, `Group ${id % 50}`, now, now);
    }
  });
  for (let from = 1; from <= contacts; from += 50_000) load(from, Math.min(contacts + 1, from + 50_000));
  db.exec("INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild')");
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { password, admin: 'bench-admin', manager: 'bench-manager', workers: workers.map((w) => w.name) };
}
