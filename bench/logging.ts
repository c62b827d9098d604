import fs from 'node:fs';
import path from 'node:path';
import { ROOT, apiLogin, startProcess, type Server } from './servers.js';

export interface LoggingRow {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
}

type Load = (name: string, url: string, headers: Record<string, string>, method: string) => Promise<LoggingRow>;
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
    const on = await start('logs-on', 'true');
    const rows = await options.interleaved([
      () => options.load('bare Express POST /', options.bareUrl + '/', {}, 'POST'),
      () => options.load('POST /auth/validate, logs off', off.server.url + '/auth/validate', off.bearer, 'POST'),
      () => options.load('POST /auth/validate, logs on', on.server.url + '/auth/validate', on.bearer, 'POST'),
    ]);
    for (const s of servers.splice(0)) await s.stop();
    const lines = fs.readFileSync(logFile('logs-on'), 'utf8').split('\n').filter((l) => l.includes('"msg":"request"')).length;
    console.log(`request log lines written to ${path.basename(logFile('logs-on'))}: ${lines}`);
    return rows;
  } finally {
    for (const s of servers) await s.stop();
  }
}
