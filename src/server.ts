import http from 'node:http';
import path from 'node:path';
import { createApp, createServices } from './app.js';
import { ConfigError, loadConfig, readEnvironment, type Config } from './config.js';
import { migrate, openDatabase } from './db.js';
import { canonicaliseStoredPhones } from './features/contacts/stored-phones.js';
import { createJsonLogger } from './http/logger.js';
import { createSessionStore } from './http/session.js';

// Data files (database, sessions, generated secrets, backups) are readable by this user only.
process.umask(0o077);
const logger = createJsonLogger();

async function main(): Promise<void> {
  const config = loadConfig(readEnvironment());
  const db = openDatabase(path.join(config.dataDir, 'security.db'), { synchronous: config.dbSynchronous });
  const applied = migrate(db);
  if (applied.length > 0) logger.info('migrations applied', { migrations: applied.join(', ') });
  const phones = canonicaliseStoredPhones(db, config.defaultCountry);
  if (phones) logger.info('stored phones canonicalised', { ...phones });

  const dataDb = openDatabase(path.join(config.dataDir, 'security.db'), { synchronous: config.dataSynchronous });
  const sessionStore = await createSessionStore(config.dataDir);
  const services = createServices({ config, db, dataDb, sessionStore, logger });
  const first = await services.users
    .ensureFirstAdmin({ username: config.adminUsername, password: config.adminPassword })
    .catch((err: Error) => fail(`cannot create the first admin from ADMIN_USERNAME/ADMIN_PASSWORD: ${err.message}`));
  if (first?.generatedPassword) {
    // Printed once, to the console only (not the JSON log), and must be changed at first sign-in.
    process.stdout.write(`\nFirst admin created.\n  username: ${first.user.username}\n  password: ${first.generatedPassword}\n` +
      'You must choose a new password at first sign-in. This password is not shown again.\n\n');
  } else if (first) {
    logger.info('first admin created from ADMIN_USERNAME/ADMIN_PASSWORD', { username: first.user.username });
  }

  reportChain(services.activity.sealChain());

  const purge = setInterval(() => {
    services.throttle.purgeIdle();
    services.tokens.purgeExpired();
    services.contacts.tidySearchIndex();
    services.activity.applyRetention();
  }, 10 * 60_000);
  purge.unref();
  // Anonymous refusals are counted per minute; each minute's count is written once it is over.
  const refusals = setInterval(() => services.refusals.flush(), 60_000);
  refusals.unref();

  const app = createApp({ config, db, dataDb, sessionStore, logger }, services);
  const server = createHttpServer(app, config.server);
  server.listen(config.port, config.host, () => {
    logger.info('listening', { url: `http://${config.host}:${config.port}`, env: config.env, dataDir: config.dataDir });
  });
  server.on('error', (err) => fail(err.message));

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    clearInterval(purge);
    clearInterval(refusals);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server.close(async () => {
      services.refusals.flush(true);
      await sessionStore.close().catch(() => undefined);
      dataDb.close();
      db.close();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

// A seal made over existing rows happens once per database, at the upgrade to the keyed
// chain; seen again later, it means the seal was removed, so it is logged as a warning.
function reportChain(chain: { created: boolean; keyedFromId: number; legacyRows: number; keyMatches: boolean }): void {
  if (!chain.keyMatches) {
    logger.error('activity log: the chain was sealed under a different SESSION_SECRET; audit:verify fails until that secret is restored');
  } else if (chain.created && chain.legacyRows > 0) {
    logger.warn('activity log: chain keyed from now on; earlier rows stay SHA-256 chained, pinned by the seal',
      { keyedFromRow: chain.keyedFromId, earlierRows: chain.legacyRows });
  }
}

/**
 * The HTTP server with the slow-client limits applied. Node enforces header and request
 * timeouts from a periodic sweep (every 30 s by default), so a 1 s limit could otherwise hold
 * a connection for half a minute; the sweep runs at a quarter of the header timeout instead.
 * Connections beyond maxConnections are closed as soon as they are accepted.
 */
function createHttpServer(handler: http.RequestListener, limits: Config['server']): http.Server {
  const server = http.createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.max(100, limits.headersTimeoutMs / 4)),
  }, handler);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  return server;
}

function fail(message: string): never {
  process.stderr.write(`nexus-security: ${message}\n`);
  process.exit(1);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) fail(`configuration error: ${err.problems.join('; ')}`);
  fail(err instanceof Error ? err.message : String(err));
});
