import http from 'node:http';
import type { Config } from './config.js';

/**
 * The HTTP server with the slow-client limits applied. Node enforces header and request
 * timeouts from a periodic sweep (every 30 s by default), so a 1 s limit could otherwise hold
 * a connection for half a minute; the sweep runs at a quarter of the header timeout instead.
 * Connections beyond maxConnections are closed as soon as they are accepted.
 */
export function createHttpServer(handler: http.RequestListener, limits: Config['server']): http.Server {
  const server = http.createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.max(100, limits.headersTimeoutMs / 4)),
  }, handler);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  return server;
}

/** Stops accepting connections and resolves once every open one has closed. */
export function stopHttpServer(server: http.Server, _limits: Config['server']): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
