import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface LoopResult {
  rps: number;
  p50: number;
  p99: number;
  failures: number;
}

/**
 * A new TCP connection for every request (as a client without a session pool does), with
 * `connections` requests in flight, for `seconds`.
 */
export interface LoadOptions {
  method?: string;
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
}

export async function loadWithoutKeepAlive(url: string, options: LoadOptions): Promise<LoopResult> {
  const target = new URL(url);
  const latencies: number[] = [];
  let failures = 0;
  const end = performance.now() + options.seconds * 1000;
  const one = () => new Promise<void>((resolve) => {
    const started = performance.now();
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: options.method ?? 'GET',
      agent: false, headers: { ...options.headers, Connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) failures += 1;
        latencies.push(performance.now() - started);
        resolve();
      });
    });
    req.on('error', () => {
      failures += 1;
      resolve();
    });
    req.end();
  });
  const worker = async () => {
    while (performance.now() < end) await one();
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0;
  return { rps: latencies.length / options.seconds, p50: at(0.5), p99: at(0.99), failures };
}
