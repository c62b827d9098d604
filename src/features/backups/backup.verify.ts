import fs from 'node:fs';
import path from 'node:path';
import type { Migration } from '../../db.js';
import { DB_FILE, MANIFEST_FILE, type Manifest } from './backup.create.js';
import { sha256File } from './backup.files.js';
import { inspectCopy } from './backup.repo.js';
import { manifestSchema } from './backup.schemas.js';

/** The backup folder for a path an operator may give: the folder or a file inside it. */
export function backupFolder(given: string): string {
  const resolved = path.resolve(given);
  return fs.existsSync(resolved) && fs.statSync(resolved).isFile() ? path.dirname(resolved) : resolved;
}

export function readManifest(folder: string): { manifest: Manifest | null; problems: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(path.join(folder, MANIFEST_FILE), 'utf8'));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return { manifest: null, problems: [missing ? `${MANIFEST_FILE}: missing (not a backup folder)` : `${MANIFEST_FILE}: not valid JSON`] };
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    return { manifest: null, problems: parsed.error.issues.map((i) => `${MANIFEST_FILE}: ${i.path.join('.') || 'manifest'}: ${i.message}`) };
  }
  if (!parsed.data.files[DB_FILE]) return { manifest: null, problems: [`${MANIFEST_FILE}: does not list ${DB_FILE}`] };
  return { manifest: parsed.data, problems: [] };
}

function fileProblems(folder: string, manifest: Manifest): string[] {
  const problems: string[] = [];
  const present = fs.readdirSync(folder).filter((n) => n !== MANIFEST_FILE);
  for (const extra of present.filter((n) => !(n in manifest.files))) problems.push(`${extra}: not listed in the manifest`);
  for (const [name, expected] of Object.entries(manifest.files)) {
    const file = path.join(folder, name);
    if (!fs.existsSync(file)) {
      problems.push(`${name}: missing`);
      continue;
    }
    const bytes = fs.statSync(file).size;
    if (bytes !== expected.bytes) problems.push(`${name}: ${bytes} bytes, the manifest says ${expected.bytes}`);
    else if (sha256File(file) !== expected.sha256) problems.push(`${name}: SHA-256 differs from the manifest (file changed)`);
  }
  return problems;
}

function schemaProblems(versions: number[], manifest: Manifest, migrations: Migration[]): string[] {
  const known = new Set(migrations.map((m) => m.version));
  const newest = Math.max(0, ...versions);
  const problems: string[] = [];
  if (newest !== manifest.schemaVersion) problems.push(`${DB_FILE}: schema version ${newest}, the manifest says ${manifest.schemaVersion}`);
  const unknown = versions.filter((v) => !known.has(v));
  if (unknown.length) problems.push(`${DB_FILE}: schema version ${newest} is newer than this app knows (${Math.max(0, ...known)}); use the app version ${manifest.appVersion}`);
  if (versions.length === 0) problems.push(`${DB_FILE}: has no schema_migrations table`);
  return problems;
}

/**
 * Every problem found in a backup folder, one line each (empty: it restores). Reads only the
 * backup: manifest, sizes and hashes, integrity_check of the copy, schema vs this app's migrations.
 */
export function verifyBackup(given: string, migrations: Migration[]): { folder: string; manifest: Manifest | null; problems: string[] } {
  const folder = backupFolder(given);
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) return { folder, manifest: null, problems: ['not a backup folder (no such directory)'] };
  const { manifest, problems } = readManifest(folder);
  if (!manifest) return { folder, manifest, problems };
  const files = fileProblems(folder, manifest);
  if (files.some((p) => p.startsWith(DB_FILE))) return { folder, manifest, problems: files };
  const copy = inspectCopy(path.join(folder, DB_FILE));
  const db = copy.problems.map((p) => `${DB_FILE}: ${p}`);
  return { folder, manifest, problems: [...files, ...db, ...(db.length ? [] : schemaProblems(copy.versions, manifest, migrations))] };
}
