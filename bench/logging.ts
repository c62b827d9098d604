import fs from 'node:fs';
import autocannon from 'autocannon';
import path from 'node:path';
import { ROOT, apiLogin, startProcess, type Server } from './servers.js';

/** User + system CPU seconds of a process so far (Linux). */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export interface LoggingCost {
  rate: number;
  seconds: number;
  /** CPU µs per request of each round, logs off and on, and their ratio (on ÷ off). */
  rounds: Array<{ off: number; on: number; ratio: number }>;
  medianRatio: number;
  lines: number;
}

/**
 * POST /auth/validate on two copies of the service started alike, one with LOG_REQUESTS=false
 * and one with LOG_REQUESTS=true, each writing its standard output to a real file (as a process
 * manager would). Both are loaded **at the same time at the same fixed rate**, so whatever else
 * the machine does falls on both alike, and each round compares their CPU time per request
 * (from /proc): one after the other, two equal servers differed by up to 7 %.
 */
export async function loggingCostBench(options: { dataDir: string }): Promise<LoggingCost> {
  const rate = Number(process.env.BENCH_LOG_RATE ?? 1000);
  const seconds = Number(process.env.BENCH_LOG_SECONDS ?? 5);
  const roundCount = Number(process.env.BENCH_LOG_ROUNDS ?? 7);
  const servers: Server[] = [];
  const logFile = (name: string) => path.join(options.dataDir, `${name}.log`);
  try {
    const start = async (name: string, logRequests: string) => {
      const dataDir = path.join(options.dataDir, name);
      fs.mkdirSync(dataDir, { recursive: true });
      const server = await startProcess([path.join(ROOT, 'dist/src/server.js')], {
        DATA_DIR: dataDir, LOG_REQUESTS: logRequests, ADMIN_USERNAME: 'bench-admin', ADMIN_PASSWORD: 'bench owner passphrase', BACKUP_INTERVAL_HOURS: '0',
      }, /"msg":"listening"/, logFile(name));
      servers.push(server);
      return { server, headers: { Authorization: `Bearer ${await apiLogin(server.url, 'bench-admin', 'bench owner passphrase')}` } };
    };
    const off = await start('logs-off', 'false');
    // BENCH_LOGS_ON=false runs the same comparison between two equal servers: the noise floor.
    const on = await start('logs-on', process.env.BENCH_LOGS_ON ?? 'true');
    const load = async (target: typeof off, duration: number) => {
      const before = cpuSeconds(target.server.pid);
      const r = await autocannon({ url: target.server.url + '/auth/validate', method: 'POST', headers: target.headers, connections: 10, overallRate: rate, duration });
      if (r.non2xx + r.errors + r.timeouts > 0) throw new Error(`${target.server.url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      return ((cpuSeconds(target.server.pid) - before) * 1e6) / Math.max(1, r.requests.total);
    };
    await Promise.all([load(off, 2), load(on, 2)]);
    const rounds: LoggingCost['rounds'] = [];
    for (let round = 0; round < roundCount; round += 1) {
      const [offUs, onUs] = await Promise.all([load(off, seconds), load(on, seconds)]);
      rounds.push({ off: offUs, on: onUs, ratio: onUs / offUs });
    }
    for (const s of servers.splice(0)) await s.stop();
    const lines = fs.readFileSync(logFile('logs-on'), 'utf8').split('\n').filter((l) => l.includes('"msg":"request"')).length;
    return { rate, seconds, rounds, medianRatio: median(rounds.map((r) => r.ratio)), lines };
  } finally {
    for (const s of servers) await s.stop();
  }
}

export function printLoggingCost(cost: LoggingCost): void {
  console.log(`\nRequest logging: POST /auth/validate on two servers at once, LOG_REQUESTS=false and =true, stdout to a file, ${cost.rate} req/s each for ${cost.seconds} s a round`);
  console.log('round   CPU µs/request logs off   logs on   on ÷ off');
  for (const [i, r] of cost.rounds.entries()) {
    console.log(`${String(i + 1).padStart(5)}   ${r.off.toFixed(1).padStart(23)}   ${r.on.toFixed(1).padStart(7)}   ${r.ratio.toFixed(3).padStart(8)}`);
  }
  console.log(`median on ÷ off: ${cost.medianRatio.toFixed(3)}: request logging costs ${((cost.medianRatio - 1) * 100).toFixed(1)} % of each request's CPU (${cost.lines} request lines written)`);
}
