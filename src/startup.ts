import path from 'node:path';
import type { Config } from './config.js';
import { migrate, openDatabase, type Db } from './db.js';
import { canonicaliseStoredPhones } from './features/contacts/stored-phones.js';
import type { Logger } from './http/logger.js';
import { createSessionStore, type SessionStore } from './http/session.js';

export interface Stores {
  db: Db;
  dataDb: Db;
  sessionStore: SessionStore;
}

/** Opens security.db (migrated) on two connections, and the session store. */
export async function openStores(config: Config, logger: Logger): Promise<Stores> {
  const file = path.join(config.dataDir, 'security.db');
  const db = openDatabase(file, { synchronous: config.dbSynchronous });
  const applied = migrate(db);
  if (applied.length > 0) logger.info('migrations applied', { migrations: applied.join(', ') });
  const phones = canonicaliseStoredPhones(db, config.defaultCountry);
  if (phones) logger.info('stored phones canonicalised', { ...phones });
  const dataDb = openDatabase(file, { synchronous: config.dataSynchronous });
  const sessionStore = await createSessionStore(config.dataDir);
  return { db, dataDb, sessionStore };
}

export async function closeStores(stores: Stores): Promise<void> {
  await stores.sessionStore.close().catch(() => undefined);
  stores.dataDb.close();
  stores.db.close();
}
