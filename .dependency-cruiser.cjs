/**
 * The layers of src/ (docs/architecture.md), checked on every `npm test`:
 *   server.ts, startup*, scripts/        open things, start things
 *   app.ts → api.ts | panel.ts           the two surfaces
 *   features/<name>/                     routes/api → service → repo
 *   domain/, passwords/                  shared types, the permission table, password hashing and policy
 *   http/, db.ts, config*, small helpers plumbing
 * Arrows point down only; a feature uses another feature only through its service.
 */
const PLUMBING = '^src/(http/|domain/|passwords/|types/|(config[^/]*|db|durable-files|concurrency|paths|startup-refusal)\\.ts$)';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Import cycles hide which module is the lower one.', from: {}, to: { circular: true } },
    {
      name: 'plumbing-imports-no-feature', severity: 'error',
      comment: 'http/, domain/, passwords/, config and db sit below every feature: a feature type they need belongs in domain/.',
      from: { path: PLUMBING }, to: { path: '^src/features/' },
    },
    {
      name: 'plumbing-imports-no-surface', severity: 'error',
      comment: 'Only server.ts and the surfaces wire things together.',
      from: { path: `${PLUMBING}|^src/features/` }, to: { path: '^src/(app|api|panel|server|startup|http-server|maintenance)\\.ts$' },
    },
    {
      name: 'domain-stands-alone', severity: 'error',
      comment: 'The domain module (roles, principals, permissions) imports nothing but itself.',
      from: { path: '^src/domain/' }, to: { pathNot: '^src/domain/' },
    },
    {
      name: 'no-other-feature-repo-or-schemas', severity: 'error',
      comment: "A feature reaches another through its service, never its SQL or its input schemas.",
      from: { path: '^src/features/([^/]+)/' }, to: { path: '^src/features/[^/]+/[^/]+\\.(repo|schemas)\\.ts$', pathNot: '^src/features/$1/' },
    },
    {
      name: 'src-imports-no-tests-or-tools', severity: 'error',
      from: { path: '^src/' }, to: { path: '^(test|bench|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
