// Runs a compiled operator script (dist/scripts/NAME.js), compiling first only when a source
// file is newer than the last build: an everyday run costs no TypeScript compilation.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const marker = path.join(root, 'dist', '.built');
const name = process.argv[2];
if (!name || !/^[a-z-]+$/.test(name)) {
  process.stderr.write('usage: node scripts/launch.mjs SCRIPT [args…]\n');
  process.exit(2);
}

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

const builtAt = fs.existsSync(marker) ? fs.statSync(marker).mtimeMs : 0;
const sourcesAt = Math.max(newestSource(path.join(root, 'src')), newestSource(path.join(root, 'scripts')),
  fs.statSync(path.join(root, 'tsconfig.build.json')).mtimeMs);
if (sourcesAt >= builtAt) {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const built = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
  fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
}
// The script reads its own arguments from process.argv, as if started directly.
process.argv.splice(2, 1);
await import(pathToFileURL(path.join(root, 'dist', 'scripts', `${name}.js`)).href);
