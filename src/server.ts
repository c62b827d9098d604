import { createApp } from './app.js';
import { ConfigError, loadConfig, readEnvironment } from './config.js';
import { holdServiceLock } from './features/backups/service-lock.js';
import { createIdleTracker } from './http/idle-tracker.js';
import { createJsonLogger } from './http/logger.js';
import { createHttpServer, stopHttpServer } from './http-server.js';
import { serviceJobs, startJobs } from './jobs.js';
import { createServices } from './services.js';
import { closeStores, openStores } from './startup.js';

// Data files (database, sessions, generated secrets, backups) are readable by this user only.
process.umask(0o077);
const logger = createJsonLogger();

async function main(): Promise<void> {
  const config = loadConfig(readEnvironment());
  holdServiceLock(config.dataDir);
  const stores = await openStores(config, logger, { init: process.argv.includes('--init') });
  const { db, dataDb, sessionStore } = stores;
  const services = createServices({ config, db, dataDb });
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

  const idle = createIdleTracker();
  const jobs = startJobs(serviceJobs({ config, db, services, sessionStore, idle, logger }), logger);

  const app = createApp({ config, db, dataDb, sessionStore, logger, idle }, services);
  const server = createHttpServer(app, config.server);
  server.listen(config.port, config.host, () => {
    logger.info('listening', { url: `http://${config.host}:${config.port}`, env: config.env, dataDir: config.dataDir });
  });
  server.on('error', (err) => fail(err.message));

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    jobs.stop();
    const force = setTimeout(() => process.exit(1), config.server.requestTimeoutMs + config.server.shutdownGraceMs + 5_000);
    force.unref();
    await stopHttpServer(server, config.server);
    services.refusals.flush(true);
    await closeStores(stores);
    logger.info('stopped');
    // The log is written asynchronously: what is still buffered goes out before the exit.
    logger.flush?.();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
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

function fail(message: string): never {
  logger.flush?.();
  process.stderr.write(`nexus-security: ${message}\n`);
  process.exit(1);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) fail(`configuration error: ${err.problems.join('; ')}`);
  fail(err instanceof Error ? err.message : String(err));
});
