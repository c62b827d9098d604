import { ipKeyGenerator } from 'express-rate-limit';

/**
 * The client as every per-address budget counts it: an IPv6 address by its /56 (what one
 * customer is routed; a /64 alone holds more addresses than anyone could exhaust) and an
 * IPv4-mapped IPv6 address as the IPv4 address it is. The same rule as the request caps.
 */
export function clientKey(ip: string | undefined): string {
  return ip ? ipKeyGenerator(ip) : 'unknown';
}
