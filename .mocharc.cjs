// mocha's configuration (CommonJS: mocha loads its config with require). The tests are every *.test.js of the
// two dist/ trees (the server's and the resource-server kit's), each once. Files run in parallel, 3 at a time,
// handed out in this order, so the slowest start first: in alphabetical order startup, signing-keys-storage,
// throttling and round-trips started last and ran on while the other workers had nothing left to do.
// SLOWEST_FIRST only orders; a file missing from it starts in its alphabetical place, and a name in it that
// no longer exists is ignored. The reporter (test/reporter.ts) prints the slowest files of each run.
const { existsSync, readdirSync } = require('node:fs');
const path = require('node:path');

const SLOWEST_FIRST = [
  'dist/test/browser.test.js',
  'dist/test/authorization-matrix.test.js',
  'dist/test/startup.test.js',
  'dist/test/console.test.js',
  'dist/test/cli.test.js',
  'dist/test/cluster/ha.test.js',
  'dist/test/account-self-service-browser.test.js',
  'dist/test/signing-keys-storage.test.js',
  'dist/test/throttling.test.js',
  'dist/test/cli-database-choice.test.js',
  'dist/test/email-browser.test.js',
  'dist/test/email-flows.test.js',
  'dist/test/file-permissions.test.js',
  'dist/test/cluster/workers.test.js',
  'dist/test/round-trips.test.js',
  'dist/test/fuzz.test.js',
  'dist/test/passkeys-browser.test.js',
  'dist/test/email-restart.test.js',
  'dist/test/refresh-retry.test.js',
  'dist/test/cluster/pgbouncer.test.js',
  'dist/test/server.test.js',
  'dist/test/key-rotation.test.js',
  'dist/test/oidc-flows.test.js',
];

/** Every *.test.js under `dir`, relative to this folder, sorted; none when it was not built. */
function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .filter((file) => file.endsWith('.test.js'))
    .map((file) => path.join(dir, file))
    .sort();
}

const rank = (file) => {
  const at = SLOWEST_FIRST.indexOf(file);
  return at === -1 ? SLOWEST_FIRST.length : at;
};
const files = [...testFiles('dist/test'), ...testFiles('packages/resource-server/dist/test')];

module.exports = {
  // a stable sort: the rest keep their alphabetical order
  spec: files.sort((a, b) => rank(a) - rank(b)),
  reporter: 'dist/test/reporter.js',
  timeout: 120000,
  exit: true,
  parallel: true,
  jobs: 3,
  // the workers (which inherit mocha's node flags) run on two busy cores: Liftoff alone compiles the embedded
  // database's WebAssembly without optimising it again in the background for the second each instance lives,
  // and a larger young generation scavenges less often
  'node-option': ['liftoff-only', 'max-semi-space-size=32'],
};
