import zlib from 'node:zlib';
import fc from 'fast-check';
import request from 'supertest';
import { pathId } from './arbitraries.js';
import { changedTables, PASSWORD_CHECKED_TABLES, snapshot, type Snapshot } from './digest.js';
import { answerProblems, type Sent } from './oracle.js';
import { formBody, jsonBody, queryString, transport } from './requests.js';
import type { RouteSpec } from './routes.js';
import { API_PRINCIPALS, PANEL_PRINCIPALS, type FuzzWorld, type Principal } from './world.js';

export interface FuzzCase {
  principal: Principal;
  method: string;
  ids: Record<string, string>;
  query: string;
  body?: { text: string; contentType?: string | undefined; contentEncoding?: string | undefined; compress: boolean };
  csrf: 'body' | 'header' | 'none' | 'forged';
}

export function caseFor(spec: RouteSpec, world: FuzzWorld): fc.Arbitrary<FuzzCase> {
  const kind = spec.surface === 'panel' ? 'form' : 'json';
  const method = spec.method === 'ALL' ? fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'POST') : fc.constant(spec.method);
  const text = kind === 'form' ? formBody(spec.fields) : jsonBody(spec.fields);
  const body = fc.record({ text, compress: fc.boolean() }).chain((b) => transport(kind).map((t) => ({ ...t, ...b })));
  return fc.record({
    // Signed-in callers three times as often as the others, so most cases get past the guards.
    principal: fc.oneof(...(spec.surface === 'panel' ? PANEL_PRINCIPALS : API_PRINCIPALS)
      .map((p) => ({ weight: p === 'anonymous' || p === 'forged' ? 1 : 3, arbitrary: fc.constant(p) }))),
    method,
    ids: fc.record(Object.fromEntries(spec.params.map((p) => [p, pathId(() => world.realIds())]))),
    query: queryString(spec.query),
    body: spec.method === 'GET' ? fc.constant(undefined) : fc.option(body, { freq: 6, nil: undefined }),
    csrf: fc.constantFrom<FuzzCase['csrf']>('body', 'body', 'body', 'header', 'header', 'header', 'none', 'forged'),
  });
}

function encodeBody(body: NonNullable<FuzzCase['body']>): Buffer {
  const raw = Buffer.from(body.text, 'utf8');
  if (!body.compress) return raw;
  const zip = { gzip: zlib.gzipSync, deflate: zlib.deflateSync, br: zlib.brotliCompressSync }[body.contentEncoding ?? ''];
  return zip ? zip(raw) : raw;
}

/** Sends a case the way a client would: as the principal, with its token or session and CSRF token. */
async function send(world: FuzzWorld, spec: RouteSpec, c: FuzzCase): Promise<{ res: request.Response; sent: Sent }> {
  const url = spec.path.replace(/:(\w+)/g, (_, name: string) => c.ids[name] ?? '1') + (c.query ? `?${c.query}` : '');
  const panel = spec.surface === 'panel' ? world.panel(c.principal) : undefined;
  const client = panel ? panel.agent : request(world.server);
  const verb = c.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete' | 'patch';
  const req = client[verb](url).timeout({ response: 15_000, deadline: 20_000 });
  const token = spec.surface === 'api' ? world.token(c.principal) : undefined;
  if (token) req.set('Authorization', `Bearer ${token}`);
  if (panel && c.csrf === 'header') req.set('X-CSRF-Token', panel.csrf);
  if (panel && c.csrf === 'forged') req.set('X-CSRF-Token', 'forged-token');
  let text = c.body?.text ?? '';
  if (c.body) {
    if (panel && c.csrf === 'body') text = `_csrf=${encodeURIComponent(panel.csrf)}&${text}`;
    if (c.body.contentType) req.set('Content-Type', c.body.contentType);
    if (c.body.contentEncoding) req.set('Content-Encoding', c.body.contentEncoding);
    // The bytes as they are: superagent would otherwise re-serialize a Buffer by its Content-Type.
    req.serialize((bytes: Buffer) => bytes as unknown as string).send(encodeBody({ ...c.body, text }));
  }
  return { res: await req, sent: { method: c.method, url, body: text } };
}

export interface CaseResult {
  status: number;
  problems: string[];
}

/** One case: send it, check the answer, and for a refusal check that no table changed. */
export async function runCase(world: FuzzWorld, spec: RouteSpec, c: FuzzCase, before: Snapshot): Promise<CaseResult & { after: Snapshot }> {
  const { res, sent } = await send(world, spec, c);
  const problems = answerProblems(res, sent, spec.surface, world.secrets);
  if (res.status >= 500) {
    const id = String(res.headers['x-request-id'] ?? '');
    problems.push(...world.ctx.logLines.filter((l) => id && l.includes(id)).map((l) => `log: ${l.slice(0, 1500)}`));
  }
  let after = snapshot(world.ctx.db, before);
  if (res.status >= 400) {
    const changed = changedTables(before, after).filter((t) => !(spec.checksPassword && PASSWORD_CHECKED_TABLES.includes(t)));
    if (changed.length) problems.push(`refused with ${res.status} but changed ${changed.join(', ')}`);
  } else if (c.method !== 'GET') {
    await world.ensureLive();
    after = snapshot(world.ctx.db, after);
  }
  return { status: res.status, problems, after };
}

export interface RouteStats {
  key: string;
  cases: number;
  statuses: Map<number, number>;
  failures: number;
  examples: string[];
}

const clip = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);

function describeCase(spec: RouteSpec, c: FuzzCase, r: CaseResult): string {
  const url = spec.path.replace(/:(\w+)/g, (_, name: string) => c.ids[name] ?? '1') + (c.query ? `?${c.query}` : '');
  const body = c.body ? ` body=${JSON.stringify(clip(c.body.text))} type=${c.body.contentType} encoding=${c.body.contentEncoding}` : '';
  return `${c.principal} ${c.method} ${clip(url)}${body} csrf=${c.csrf} → ${r.status}: ${r.problems.join(' | ')}`;
}

/** The same route always gets the same seed (for a base seed), whatever other routes exist. */
export function seedFor(key: string, base: number): number {
  let h = base | 0;
  for (const ch of key) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h;
}

/**
 * Fuzzes one route. In `collect` mode every case runs and problems are only counted (the
 * `npm run fuzz` table); otherwise the first problem fails the property, which fast-check shrinks.
 */
export async function fuzzRoute(world: FuzzWorld, spec: RouteSpec, opts: { numRuns: number; seed: number; collect: boolean }): Promise<RouteStats> {
  const stats: RouteStats = { key: spec.key, cases: 0, statuses: new Map(), failures: 0, examples: [] };
  let before = snapshot(world.ctx.db);
  const property = fc.asyncProperty(caseFor(spec, world), async (c) => {
    let result: CaseResult;
    try {
      const r = await runCase(world, spec, c, before);
      before = r.after;
      result = r;
    } catch (err) {
      before = snapshot(world.ctx.db, before);
      // No answer means no request id to look up: the last error logged is the likely cause.
      const lastError = world.ctx.logLines.filter((l) => l.includes('"level":"error"')).at(-1);
      result = { status: 0, problems: [`no answer: ${String((err as Error)?.message ?? err)}`, ...(lastError ? [`log: ${lastError.slice(0, 1500)}`] : [])] };
    }
    stats.cases += 1;
    stats.statuses.set(result.status, (stats.statuses.get(result.status) ?? 0) + 1);
    if (result.problems.length === 0) return;
    stats.failures += 1;
    if (stats.examples.length < 3) stats.examples.push(describeCase(spec, c, result));
    if (!opts.collect) throw new Error(describeCase(spec, c, result));
  });
  await fc.assert(property, { numRuns: opts.numRuns, seed: opts.seed, includeErrorInReport: true });
  return stats;
}
