/**
 * The layers of src/ (docs/architecture.md), checked on every `npm test`:
 *   server.ts, startup*, scripts/           open things, start things
 *   app.ts → api.ts | panel.ts, services.ts, jobs.ts   the surfaces, the wiring, the periodic tasks
 *   features/<name>/                         routes/api → service → repo
 *   domain/                                  roles, principals, account and activity types, the permission table
 *   http/, passwords/, attempts/, db, config, clock, phone …   plumbing
 * Arrows point down only; a feature uses another feature only through its services.
 */
const PLUMBING = '^src/(http/|domain/|passwords/|attempts/|types/|(config[^/]*|db|clock|errors|phone|durable-files|concurrency|paths|startup-refusal)\\.ts$)';
const TOP = '^src/(app|api|panel|server|services|jobs|startup|startup-checks|http-server)\\.ts$';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Import cycles hide which module is the lower one.', from: {}, to: { circular: true } },
    {
      name: 'plumbing-imports-no-feature', severity: 'error',
      comment: 'http/, domain/, passwords/, attempts/, config and db sit below every feature: a feature type they need belongs in domain/.',
      from: { path: PLUMBING }, to: { path: '^src/features/' },
    },
    {
      name: 'nothing-imports-the-top', severity: 'error',
      comment: 'Only server.ts and scripts wire the surfaces, services and jobs together; features and plumbing never reach up.',
      from: { path: `${PLUMBING}|^src/features/` }, to: { path: TOP },
    },
    {
      name: 'domain-stands-alone', severity: 'error',
      comment: 'The domain module (roles, principals, permissions) imports nothing but itself.',
      from: { path: '^src/domain/' }, to: { pathNot: '^src/domain/' },
    },
    {
      name: 'features-meet-through-services', severity: 'error',
      comment: "A feature reaches another only through its services (*.service.ts): never its repos, schemas, routes or helpers.",
      from: { path: '^src/features/([^/]+)/' }, to: { path: '^src/features/', pathNot: ['^src/features/$1/', '^src/features/[^/]+/[^/]+\\.service\\.ts$'] },
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
