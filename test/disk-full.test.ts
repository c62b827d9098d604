import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { STRONG_PASSWORD, TEST_JWT_SECRET, TEST_SESSION_SECRET, tempDir } from './helpers.js';
import { apiLogin, OWNER, panelLogin, startService, stopService } from './service-process.js';

/** Writes a filler file until the filesystem refuses another byte. */
function fillDisk(file: string): void {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    // The last partial block: fill it byte-wise so not even a small page fits.
    for (let size = 32 * 1024; size >= 1; size = Math.floor(size / 2)) {
      try {
        for (;;) fs.writeSync(fd, chunk.subarray(0, size));
      } catch {
        // Next smaller size.
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

describe('a full disk under the data directory', () => {
  test('writes answer 503 with Retry-After on both surfaces (never 500), /ready says so, and service resumes once space is freed', async (t) => {
    const dataDir = tempDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', dataDir]);
    t.after(() => execFileSync('umount', ['-l', dataDir]));
    const service = await startService({
      DATA_DIR: dataDir, DISK_MIN_FREE_MB: '1', BACKUP_INTERVAL_HOURS: '0', LOG_REQUESTS: 'false',
      JWT_SECRET_KEY: TEST_JWT_SECRET, SESSION_SECRET: TEST_SESSION_SECRET, RATE_LIMIT_MESSAGES_PER_MINUTE: '100000',
      RATE_LIMIT_MESSAGES_PER_HOUR: '1000000', RATE_LIMIT_MESSAGES_PER_DESTINATION_HOUR: '100000',
    });
    t.after(() => stopService(service, 'SIGKILL'));
    const { access } = await apiLogin(service.url, OWNER.username, OWNER.password);
    const cookie = await panelLogin(service.url, OWNER.username, OWNER.password);
    const form = await (await fetch(`${service.url}/users/new`, { headers: { cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form)?.[1] ?? '';
    const logMessage = (i: number) => fetch(`${service.url}/api/messages/log`, {
      method: 'POST', headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' },
      body: JSON.stringify({ recipient_phone: '+14155550100', message_content: `message ${i} `.padEnd(3000, 'x') }),
    });
    assert.equal((await logMessage(0)).status, 201);

    const filler = path.join(dataDir, 'filler');
    fillDisk(filler);
    const seen: Record<number, number> = {};
    let refused: Response | undefined;
    for (let i = 1; i <= 3000 && !refused; i++) {
      const res = await logMessage(i);
      seen[res.status] = (seen[res.status] ?? 0) + 1;
      if (res.status === 503) refused = res;
      else await res.arrayBuffer();
    }
    assert.ok(refused, `a write was refused once the disk filled: ${JSON.stringify(seen)}`);
    assert.deepEqual(Object.keys(seen).filter((s) => s !== '201' && s !== '503'), [], 'only 201 then 503');
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.deepEqual(await refused.json(), { error: 'Storage is unavailable right now; nothing was saved. Retry shortly.', code: 'storage_unavailable' });

    const panel = await fetch(`${service.url}/users`, {
      method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, username: 'newcomer', password: STRONG_PASSWORD, confirm_password: STRONG_PASSWORD, role: 'worker' }),
    });
    const panelText = await panel.text();
    assert.equal(panel.status, 503, panelText.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 600));
    assert.ok(panel.headers.get('retry-after'));
    assert.match(panelText, /Storage is unavailable right now/);

    const forged = await fetch(`${service.url}/users`, {
      method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: 'forged', username: 'intruder', password: STRONG_PASSWORD, confirm_password: STRONG_PASSWORD, role: 'worker' }),
    });
    assert.equal(forged.status, 403, 'a refusal is still a refusal when its activity row cannot be written');
    assert.match(forged.headers.get('content-type') ?? '', /text\/html/);

    const ready = await fetch(`${service.url}/ready`);
    assert.equal(ready.status, 503);
    const readyBody = await ready.json() as { checks: Record<string, string> };
    assert.match(readyBody.checks.disk!, /under DISK_MIN_FREE_MB/);
    assert.ok(!JSON.stringify(readyBody).includes(dataDir));

    const check = new Database(path.join(dataDir, 'security.db'), { readonly: true });
    assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
    assert.equal(check.prepare("SELECT count(*) FROM users WHERE username = 'newcomer'").pluck().get(), 0, 'nothing half-written');
    check.close();

    fs.rmSync(filler);
    const again = await logMessage(9999);
    assert.equal(again.status, 201, 'the same write succeeds without a restart');
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await fetch(`${service.url}/ready`)).status, 200);
    assert.match(service.output(), /storage unavailable: requests answered 503/);
    assert.doesNotMatch(service.output(), /"status":500|unhandled error/);
  });
});
