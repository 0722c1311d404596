import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

// The point of the package: an API installs it and gets jose, nothing of the auth-connect server. This packs
// the package as `npm publish` would (from the build output already made; no scripts run), installs the
// tarball into an empty project outside the repository, and verifies a token there with plain node.
// Offline: jose comes from a tarball packed out of the repository's own node_modules.
const packageDir = path.join(import.meta.dirname, '..', '..');

describe('@auth-connect/resource-server as an installed package', function () {
  this.timeout(60_000);
  let scratch: string;
  let packedManifest: PackedManifest;
  let packedFiles: string[];
  let app: string;

  before(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'kit-installable-'));
    const [[kit], [jose]] = await Promise.all([npmPack(packageDir, scratch), npmPack(packageDirOf('jose'), scratch)]);
    packedFiles = kit!.files.map((file) => file.path);

    app = path.join(scratch, 'app');
    await mkdir(app);
    await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'some-api', private: true, type: 'module' }));
    await npm(
      ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', path.join(scratch, kit!.filename), path.join(scratch, jose!.filename)],
      app,
    );
    // npm leaves an installed package.json as it was packed
    packedManifest = JSON.parse(await readFile(path.join(app, 'node_modules', '@auth-connect', 'resource-server', 'package.json'), 'utf8'));
  });
  after(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('declares jose as its only dependency (and @types/koa only as an optional peer)', () => {
    assert.equal(packedManifest.name, '@auth-connect/resource-server');
    assert.deepEqual(Object.keys(packedManifest.dependencies ?? {}), ['jose']);
    assert.equal(packedManifest.bundleDependencies ?? packedManifest.bundledDependencies, undefined);
    for (const peer of Object.keys(packedManifest.peerDependencies ?? {})) {
      assert.equal(packedManifest.peerDependenciesMeta?.[peer]?.optional, true, `peer dependency ${peer} must be optional`);
    }
  });

  it('ships its build, sources and README, not its tests', () => {
    assert.ok(packedFiles.includes('dist/src/index.js') && packedFiles.includes('dist/src/index.d.ts'), packedFiles.join('\n'));
    assert.deepEqual(
      packedFiles.filter((file) => !/^(dist\/src\/|src\/|package\.json$|README\.md$)/.test(file)),
      [],
    );
  });

  it('installs into an empty project with nothing but jose beside it', async () => {
    const installed = (await readdir(path.join(app, 'node_modules'))).filter((name) => !name.startsWith('.'));
    assert.deepEqual(installed.sort(), ['@auth-connect', 'jose']);
  });

  it('verifies a token signed with jose, and refuses a tampered one, from the installed copy', async () => {
    await writeFile(path.join(app, 'check.js'), VERIFY_SCRIPT);
    const { stdout } = await run(process.execPath, ['check.js'], { cwd: app, env: withoutNpmSettings() });
    const result = JSON.parse(stdout) as { from: string; sub: string; permissions: string[]; tampered: string; middleware: string[] };
    // the import resolved to the installed copy, not to the repository
    assert.ok(result.from.startsWith(path.join(await realpath(app), 'node_modules', '@auth-connect', 'resource-server') + path.sep), result.from);
    assert.equal(result.sub, 'user-1');
    assert.deepEqual(result.permissions, ['read']);
    assert.equal(result.tampered, 'INVALID_TOKEN');
    assert.deepEqual(result.middleware, ['function', 'function']);
  });
});

/** Signs an RFC 9068 access token with a fresh key and verifies it through the installed package. */
const VERIFY_SCRIPT = `
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { authenticate, createVerifier, expressAuthenticate, isTokenVerificationError } from '@auth-connect/resource-server';

const issuer = 'https://id.example.com';
const audience = 'urn:example:api';
const { privateKey, publicKey } = await generateKeyPair('ES256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
const token = await new SignJWT({ client_id: 'app', scope: 'openid', roles: ['member'], permissions: ['read'] })
  .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
  .setIssuer(issuer).setAudience(audience).setSubject('user-1').setIssuedAt().setExpirationTime('5m')
  .sign(privateKey);

const verifier = createVerifier({ issuer, audience, keySet: createLocalJWKSet({ keys: [jwk] }) });
const claims = await verifier.verify(token);
let tampered = 'accepted';
try {
  await verifier.verify(token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA'));
} catch (error) {
  tampered = isTokenVerificationError(error) ? error.code : String(error);
}
console.log(JSON.stringify({
  from: new URL(import.meta.resolve('@auth-connect/resource-server')).pathname,
  sub: claims.sub,
  permissions: claims.permissions,
  tampered,
  middleware: [typeof authenticate(verifier), typeof expressAuthenticate(verifier)],
}));
`;

interface PackedManifest {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  bundleDependencies?: unknown;
  bundledDependencies?: unknown;
}

interface PackResult {
  filename: string;
  files: { path: string }[];
}

async function npmPack(directory: string, destination: string): Promise<PackResult[]> {
  return JSON.parse(await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', destination, directory], destination));
}

async function npm(args: string[], cwd: string): Promise<string> {
  return (await run('npm', args, { cwd, env: withoutNpmSettings() })).stdout;
}

/**
 * The environment without npm's own variables: under `npm test` they name the repository (npm_config_local_prefix
 * and friends), and an npm started here would install into it instead of the scratch project.
 */
function withoutNpmSettings(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
}

/** The directory of an installed package, found from where its entry point resolves. */
function packageDirOf(name: string): string {
  let dir = path.dirname(fileURLToPath(import.meta.resolve(name)));
  while (!existsSync(path.join(dir, 'package.json')) || !dir.endsWith(path.join('node_modules', name))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the directory of ${name}`);
    dir = parent;
  }
  return dir;
}
