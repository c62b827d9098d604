// Instructions for N POST /auth/validate requests (plus start-up), counted by callgrind: repeatable on a
// shared machine where req/s and CPU time are not. Per-request cost = difference of two amounts:
//   CG_ROOT=$PWD CG_TAG=head node bench/callgrind-validate.mjs false 1000 5811   (and 4000; and with true)
//   (I(4000) - I(1000)) / 3000, logs off (false) vs on (true). Needs valgrind; about a minute per run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import autocannon from 'autocannon';
const [logs, amount, port] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
const dir = fs.mkdtempSync('/tmp/cg-');
const out = `/tmp/cg-out-${logs}-${amount}.txt`;
const child = spawn('valgrind', ['--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=/tmp/cg-${process.env.CG_TAG}-${logs}-${amount}.out`,
  process.execPath, process.env.CG_ROOT + '/dist/src/server.js'], { cwd: process.env.CG_ROOT, stdio: ['ignore', fs.openSync(`/tmp/cg-log-${logs}.log`, 'w'), 'pipe'],
  env: { PATH: process.env.PATH, DATA_DIR: dir, SECURITY_PORT: port, LOG_REQUESTS: logs, ADMIN_USERNAME: 'bench-admin', ADMIN_PASSWORD: 'bench owner passphrase', BACKUP_INTERVAL_HOURS: '0' } });
let err = '';
child.stderr.on('data', (d) => (err += d));
const url = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try { await fetch(url + '/health'); break; } catch { await new Promise((r) => setTimeout(r, 500)); }
  if (i > 600) throw new Error('no start');
}
const res = await fetch(url + '/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench-admin', password: 'bench owner passphrase' }) });
const token = (await res.json()).access_token;
const t = Date.now();
if (amount > 0) await autocannon({ url: url + '/auth/validate', method: 'POST', headers: { authorization: `Bearer ${token}` }, connections: 4, amount });
child.kill('SIGTERM');
await new Promise((r) => child.on('close', r));
const total = /Collected : (\d+)/.exec(err)?.[1];
console.log(logs, amount, 'instructions', total, 'requests took', Date.now() - t, 'ms');
