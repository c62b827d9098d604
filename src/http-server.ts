import http from 'node:http';
import net from 'node:net';
import type { Config } from './config.js';

interface Draining {
  /** Responses not finished yet: each is told to close its connection when shutdown starts. */
  open: Set<http.ServerResponse>;
  stopping: boolean;
}

const draining = new WeakMap<http.Server, Draining>();

/**
 * The HTTP server with the slow-client limits applied. Node enforces header and request
 * timeouts from a periodic sweep (every 30 s by default), so a 1 s limit could otherwise hold
 * a connection for half a minute; the sweep runs at a quarter of the header timeout instead.
 * Connections beyond maxConnections are closed as soon as they are accepted.
 */
export function createHttpServer(handler: http.RequestListener, limits: Config['server']): http.Server {
  const state: Draining = { open: new Set(), stopping: false };
  const server = http.createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.max(100, limits.headersTimeoutMs / 4)),
  }, (req, res) => {
    // A request that arrives on a kept-alive connection while stopping is still answered, as its last.
    if (state.stopping) res.setHeader('Connection', 'close');
    state.open.add(res);
    res.once('close', () => state.open.delete(res));
    handler(req, res);
  });
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  draining.set(server, state);
  return server;
}

/**
 * Graceful stop: no new connections; requests in flight are answered, each with
 * `Connection: close`; kept-alive connections that are idle get `shutdownGraceMs` for a request
 * already on its way (closing them at once would reset it), then are closed. Resolves once
 * every connection has closed.
 */
export function stopHttpServer(server: http.Server, limits: Config['server']): Promise<void> {
  const state = draining.get(server);
  if (state) {
    state.stopping = true;
    for (const res of state.open) if (!res.headersSent) res.setHeader('Connection', 'close');
  }
  return new Promise((resolve) => {
    // net.Server's close, not http.Server's: the latter also closes idle connections at once.
    let sweep: NodeJS.Timeout | undefined;
    net.Server.prototype.close.call(server, () => {
      clearTimeout(grace);
      clearInterval(sweep);
      resolve();
    });
    // After the grace, a kept-alive connection is closed as soon as it is idle (its response
    // began before the stop). One that has not sent a whole request yet is not: its request may
    // be in the kernel's buffer, unread; Node's header timeout (HEADERS_TIMEOUT_SECONDS) ends it.
    const grace = setTimeout(() => {
      server.closeIdleConnections();
      sweep = setInterval(() => server.closeIdleConnections(), 100);
    }, limits.shutdownGraceMs);
  });
}
