import fc from 'fast-check';
import { caseFor, runCase } from './harness.js';
import { snapshot } from './digest.js';
import { API_ROUTES } from './routes.js';
import { FuzzWorld } from './world.js';
const w = await FuzzWorld.create();
for (const key of ['POST /auth/login', 'POST /api/messages/log', 'POST /api/contacts/sync']) {
  const spec = API_ROUTES.find((r) => r.key === key)!;
  const samples = fc.sample(caseFor(spec, w), { numRuns: 12, seed: 3 });
  for (const c of samples) {
    const orig = (w as any).server;
    const r = await runCase(w, spec, c, snapshot(w.ctx.db));
    console.log(key, c.principal, r.status, r.problems.length, JSON.stringify(c.body?.text ?? null).slice(0, 150), c.body?.contentType);
  }
}
await w.close();
