import crypto from 'node:crypto';
import net from 'node:net';
import type { Request, RequestHandler } from 'express';
import { HttpError } from '../errors.js';
import type { Registry } from 'prom-client';

/** True for 127.0.0.0/8 and ::1, also when written as an IPv4-mapped IPv6 address. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (net.isIPv4(plain)) return plain.startsWith('127.');
  return plain === '::1';
}

function sameSecret(given: string, expected: string): boolean {
  // Hashing first gives equal lengths, so the comparison's time says nothing about the token.
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

// The scrape's refusals predate the error codes: `{"error": "..."}` alone.
const MISSING = () => new HttpError(401, 'Authentication required', { headers: { 'WWW-Authenticate': 'Bearer' } });
const REFUSED = () => new HttpError(403, 'Forbidden');

/**
 * Who may read /metrics. With METRICS_TOKEN: exactly that bearer token, from anywhere. Without:
 * clients on this machine only, judged by the socket's own address, never by req.ip (which
 * trusts X-Forwarded-For when TRUST_PROXY is set, and a proxy on this machine is loopback too).
 */
export function assertMetricsAccess(req: Request, token: string | undefined): void {
  if (token !== undefined) {
    const match = /^Bearer ([^\s]+)$/.exec(req.headers.authorization ?? '');
    if (!match) throw MISSING();
    if (!sameSecret(match[1]!, token)) throw REFUSED();
    return;
  }
  if (!isLoopback(req.socket.remoteAddress)) throw REFUSED();
  // Behind a reverse proxy on this machine every client looks local: a forwarded request is refused.
  if (req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined) throw REFUSED();
}

/** GET /metrics in the Prometheus text format. */
export function metricsHandler(registry: Registry, token: string | undefined): RequestHandler {
  return async (req, res) => {
    res.set('Cache-Control', 'no-store');
    assertMetricsAccess(req, token);
    res.type(registry.contentType).send(await registry.metrics());
  };
}
