import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, readEnvironment, type Config } from '../src/config.js';
import { migrate, openDatabase, readMigrations, type Db } from '../src/db.js';
import { canonicaliseStoredPhones } from '../src/features/contacts/stored-phones.js';
import { StartupRefusal } from '../src/startup-refusal.js';
import { appliedVersions, openReadOnly } from '../src/features/backups/backup.repo.js';

function loadScriptConfig(persistSecrets: boolean): Config {
  process.umask(0o077);
  try {
    return loadConfig(readEnvironment(), { persistSecrets });
  } catch (err) {
    if (err instanceof ConfigError) exitWith(`configuration error: ${err.problems.join('; ')}`);
    if (err instanceof StartupRefusal) exitWith(err.message);
    throw err;
  }
}

/** Opens the configured database with migrations applied: for the scripts that write (migrate, create-admin). */
export function openForScript(): { config: Config; db: Db; applied: string[] } {
  const config = loadScriptConfig(true);
  const db = openDatabase(path.join(config.dataDir, 'security.db'), { synchronous: config.dbSynchronous });
  const applied = migrate(db);
  canonicaliseStoredPhones(db, config.defaultCountry);
  return { config, db, applied };
}

/**
 * Opens the configured database read-only, for the scripts that only look (backup, check,
 * audit:verify): they never migrate or write it. Pending migrations stop them with exit 1.
 */
export function openReadOnlyForScript(name: string): { config: Config; db: Db; file: string } {
  const config = loadScriptConfig(false);
  const file = path.join(config.dataDir, 'security.db');
  if (!fs.existsSync(file)) exitWith(`${name}: no security.db in DATA_DIR (${config.dataDir})`);
  const db = openReadOnly(file);
  const applied = new Set(appliedVersions(db));
  const pending = readMigrations().filter((m) => !applied.has(m.version));
  if (pending.length > 0) {
    db.close();
    exitWith(`${name}: ${pending.length} migration(s) pending (${pending.map((m) => m.name).join(', ')}); run npm run migrate`);
  }
  return { config, db, file };
}

export function exitWith(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}
