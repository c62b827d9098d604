import fs from 'node:fs';
import autocannon from 'autocannon';
import path from 'node:path';
import { ROOT, apiLogin, startProcess, type Server } from './servers.js';

export interface LoggingRow {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  /** The server process's CPU time (user + system) per request: steadier than req/s on a shared machine. */
  cpuUs?: number;
}

type Load = (name: string, url: string, headers: Record<string, string>, method: string) => Promise<LoggingRow>;

/** User + system CPU seconds of a process so far (Linux). */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function loadWithCpu(name: string, server: Server, headers: Record<string, string>): Promise<LoggingRow> {
  const url = server.url + '/auth/validate';
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
  await autocannon({ url, headers, method: 'POST', connections, duration: 1 });
  const cpu = cpuSeconds(server.pid);
  const r = await autocannon({ url, headers, method: 'POST', connections, duration: Number(process.env.BENCH_SECONDS ?? 3) });
  const cpuUs = ((cpuSeconds(server.pid) - cpu) * 1e6) / Math.max(1, r.requests.total);
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx + r.errors + r.timeouts, cpuUs };
}
type Interleave = (measures: Array<() => Promise<LoggingRow>>) => Promise<LoggingRow[]>;

/**
 * POST /auth/validate on two copies of the service started alike, one with LOG_REQUESTS=false
 * and one with LOG_REQUESTS=true, each writing its standard output to a real file (as a process
 * manager would), measured interleaved against a bare Express POST in the same run.
 */
export async function loggingCostBench(options: { dataDir: string; bareUrl: string; load: Load; interleaved: Interleave }): Promise<LoggingRow[]> {
  const servers: Server[] = [];
  const logFile = (name: string) => path.join(options.dataDir, `${name}.log`);
  try {
    const start = async (name: string, logRequests: string) => {
      const dataDir = path.join(options.dataDir, name);
      fs.mkdirSync(dataDir, { recursive: true });
      const server = await startProcess([path.join(ROOT, 'dist/src/server.js')], {
        DATA_DIR: dataDir, LOG_REQUESTS: logRequests, ADMIN_USERNAME: 'bench-admin', ADMIN_PASSWORD: 'bench owner passphrase',
      }, /"msg":"listening"/, logFile(name));
      servers.push(server);
      return { server, bearer: { Authorization: `Bearer ${await apiLogin(server.url, 'bench-admin', 'bench owner passphrase')}` } };
    };
    const off = await start('logs-off', 'false');
    // BENCH_LOGS_ON=false runs the same comparison between two equal servers: the noise floor.
    const on = await start('logs-on', process.env.BENCH_LOGS_ON ?? 'true');
    const rows = await options.interleaved([
      () => options.load('bare Express POST /', options.bareUrl + '/', {}, 'POST'),
      () => loadWithCpu('POST /auth/validate, logs off', off.server, off.bearer),
      () => loadWithCpu('POST /auth/validate, logs on', on.server, on.bearer),
    ]);
    for (const s of servers.splice(0)) await s.stop();
    const lines = fs.readFileSync(logFile('logs-on'), 'utf8').split('\n').filter((l) => l.includes('"msg":"request"')).length;
    console.log(`request log lines written to ${path.basename(logFile('logs-on'))}: ${lines}`);
    return rows;
  } finally {
    for (const s of servers) await s.stop();
  }
}
