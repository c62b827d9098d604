import path from 'node:path';
import { ConfigError, loadConfig, readEnvironment, type Config } from '../src/config.js';
import { migrate, openDatabase, type Db } from '../src/db.js';
import { canonicaliseStoredPhones } from '../src/features/contacts/stored-phones.js';

/** Opens the configured database with migrations applied, for the operator scripts. */
export function openForScript(): { config: Config; db: Db; applied: string[] } {
  process.umask(0o077);
  try {
    const config = loadConfig(readEnvironment());
    const db = openDatabase(path.join(config.dataDir, 'security.db'), { synchronous: config.dbSynchronous });
    const applied = migrate(db);
    canonicaliseStoredPhones(db, config.defaultCountry);
    return { config, db, applied };
  } catch (err) {
    if (err instanceof ConfigError) exitWith(`configuration error: ${err.problems.join('; ')}`);
    throw err;
  }
}

export function exitWith(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}
