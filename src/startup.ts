import path from 'node:path';
import type { Config } from './config.js';
import { migrate, openDatabase, type Db } from './db.js';
import { canonicaliseStoredPhones } from './features/contacts/stored-phones.js';
import type { Logger } from './http/logger.js';
import { createSessionStore, type SessionStore } from './http/session.js';
import { checkDatabaseIntact, checkDataDirectory, checkSessionStore, DB_FILE, refusalFor } from './startup-checks.js';
import { StartupRefusal } from './startup-refusal.js';

export interface Stores {
  db: Db;
  dataDb: Db;
  sessionStore: SessionStore;
}

/**
 * Opens security.db (checked, migrated) on two connections, and the session store. Anything
 * that makes the data unsafe to serve is a StartupRefusal naming the file and the fix.
 */
export async function openStores(config: Config, logger: Logger, options = { init: false }): Promise<Stores> {
  checkDataDirectory(config.dataDir, { ...options, secretsFileCreated: config.secretsFileCreated });
  checkSessionStore(config.dataDir);
  const file = path.join(config.dataDir, DB_FILE);
  let db: Db | undefined;
  let applied: string[];
  try {
    db = openDatabase(file, { synchronous: config.dbSynchronous });
    checkDatabaseIntact(db, file);
    applied = migrate(db);
  } catch (err) {
    db?.close();
    throw err instanceof StartupRefusal ? err : refusalFor(err, file);
  }
  if (applied.length > 0) logger.info('migrations applied', { migrations: applied.join(', ') });
  const phones = canonicaliseStoredPhones(db, config.defaultCountry);
  if (phones) logger.info('stored phones canonicalised', { ...phones });
  const dataDb = openDatabase(file, { synchronous: config.dataSynchronous });
  const sessionStore = await createSessionStore({ dataDir: config.dataDir });
  return { db, dataDb, sessionStore };
}

export async function closeStores(stores: Stores): Promise<void> {
  await stores.sessionStore.close().catch(() => undefined);
  stores.dataDb.close();
  stores.db.close();
}
