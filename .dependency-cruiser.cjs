// The layering of src/ and of the resource-server kit (packages/resource-server), checked by dependency-cruiser
// in `npm test` (test/architecture.test.ts) and so in CI.
// docs/architecture.md explains the rooms and layers these rules protect.
//
// Allow-list: an exception to a rule goes into ALLOWED_FRONT_END_IMPORTS below, one entry per importing file,
// with a comment saying why and what would remove it. There is none today.

/** Front ends: they parse input, call a service and shape the answer. */
const FRONT_ENDS = '^src/(api/[^/]+-routes\\.ts$|interactions/|account-page/|console/|cli/commands/)';

/**
 * Front-end files allowed to import a repository anyway: [file regex, reason]. Keep it empty; an entry is debt.
 * @type {Array<[string, string]>}
 */
const ALLOWED_FRONT_END_IMPORTS = [];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'front-ends-use-services',
      severity: 'error',
      comment:
        'Routes (src/api/*-routes.ts), pages (src/interactions/, src/account-page/, src/console/) and CLI commands (src/cli/commands/) never import a ' +
        'repository, not even for a type: every rule, cascade and audit row lives in a service, so both front ends ' +
        'agree. Call (or add) a function in the owning service, e.g. src/accounts/accounts-service.ts, which also ' +
        're-exports the row types it hands out.',
      from: { path: FRONT_ENDS, ...(ALLOWED_FRONT_END_IMPORTS.length ? { pathNot: ALLOWED_FRONT_END_IMPORTS.map(([file]) => file) } : {}) },
      to: { path: '^src/.+-repository\\.ts$' },
    },
    {
      name: 'kit-stands-alone',
      severity: 'error',
      comment:
        'The resource-server kit (packages/resource-server, @auth-connect/resource-server) is installed by APIs ' +
        'without the server: it imports only its own files, jose and node: built-ins (type-only imports, such as ' +
        'koa\'s Context, vanish at run time).',
      from: { path: '^packages/resource-server/src/' },
      to: {
        pathNot: '^(packages/resource-server/src/|(packages/resource-server/)?node_modules/jose/)',
        dependencyTypesNot: ['core', 'type-only'],
      },
    },
    {
      name: 'kit-no-server-types',
      severity: 'error',
      comment: 'Not even types from the server: the kit\'s declarations must make sense without it.',
      from: { path: '^packages/resource-server/' },
      to: { path: '^(src|test|bench|examples|migrations)/' },
    },
    {
      name: 'server-uses-kit-by-name',
      severity: 'error',
      comment:
        'The server imports the kit as an API would, by its name @auth-connect/resource-server (the workspace link), ' +
        'never its files by path: what the package exports is all there is. Missing something? Export it from ' +
        'packages/resource-server/src/index.ts.',
      from: { path: '^src/' },
      to: { path: '^packages/resource-server/src/' },
    },
    {
      name: 'src-not-to-test-or-bench',
      severity: 'error',
      comment: 'The server never imports the tests or the benchmarks (they are not shipped and may spawn processes).',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    // the kit's build output too: its sources are cruised themselves, and the server's imports of
    // @auth-connect/resource-server resolve (through the workspace link) to its dist/
    doNotFollow: { path: ['node_modules', '^packages/resource-server/dist/'] },
    // import type counts too: the front-end rule is about knowing the repository at all
    tsPreCompilationDeps: true,
    // TypeScript 7 has no compiler API for dependency-cruiser yet: it reads the .ts sources with swc
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
