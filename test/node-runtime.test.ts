import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packageRoot } from '../src/paths.js';
import { compileCacheDir } from '../src/runtime/compile-cache.js';
import { isSupportedNode } from '../src/runtime/supported-node.js';
import { childEnv } from './helpers/processes.js';

const bundledNode = path.join(packageRoot, 'node_modules', '.bin', process.platform === 'win32' ? 'node.exe' : 'node');

/** A `node` on PATH (outside this project) older than we support, as on a machine with a stale system Node. */
function olderSystemNode(): string | undefined {
  const candidates = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin']
    .filter((dir) => dir && !path.resolve(dir).startsWith(packageRoot))
    .map((dir) => path.join(dir, 'node'))
    .filter((file) => existsSync(file));
  for (const file of new Set(candidates)) {
    const version = execFileSync(file, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    if (!isSupportedNode(version)) return file;
  }
  return undefined;
}

describe('Node.js runtime', () => {
  it('knows which versions are supported', () => {
    assert.equal(isSupportedNode('20.20.2'), false);
    assert.equal(isSupportedNode('22.11.0'), false);
    assert.equal(isSupportedNode('22.12.0'), true);
    assert.equal(isSupportedNode('24.0.0'), true);
    assert.equal(isSupportedNode('26.1.0'), true);
  });

  it('npm test runs on the Node.js that npm ci installed into node_modules/.bin', function () {
    if (!process.env.npm_lifecycle_event || !existsSync(bundledNode)) this.skip(); // run outside npm, or a platform without a Node package
    assert.equal(realpathSync(process.execPath), realpathSync(bundledNode));
    assert.ok(isSupportedNode(process.versions.node), process.version);
  });

  for (const [entry, hint] of [
    ['dist/src/main.js', '`npm start`'],
    ['dist/src/cli/main.js', '`npx auth-connect …`'],
  ] as const) {
    it(`${entry} on an older Node prints one line naming the version needed and ${hint}`, function () {
      const oldNode = olderSystemNode();
      if (!oldNode) this.skip(); // no older Node on this machine (CI has Debian's)
      const r = spawnSync(oldNode, [path.join(packageRoot, entry), 'roles', 'list'], {
        cwd: packageRoot,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, DATA_DIR: '/nonexistent' },
      });
      assert.equal(r.status, 1, `exit ${r.status} signal ${r.signal}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /^auth-connect: needs Node\.js 24 .*this is v\d+/);
      assert.ok(lines[0]!.includes(hint), lines[0]);
    });
  }

  for (const [entry, firstOwnModule] of [
    ['dist/src/main.js', 'dist/src/runtime/server-process.js'],
    ['dist/src/cli/main.js', 'dist/src/cli/command-line.js'],
  ] as const) {
    it(`${entry} keeps V8's compiled code in the install's own folder and reads it at the next start`, () => {
      // Node says what its compile cache does when NODE_DEBUG_NATIVE names it. The CLI answers --version; the server
      // stops at once on a Postgres that refuses the connection, its modules loaded by then
      const dataDir = mkdtempSync(path.join(tmpdir(), 'ac-compile-cache-'));
      const env = { NODE_DEBUG_NATIVE: 'COMPILE_CACHE', DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
      const run = () =>
        spawnSync(process.execPath, [path.join(packageRoot, entry), '--version'], { cwd: packageRoot, encoding: 'utf8', env: childEnv(env), timeout: 30_000 });
      run();
      const second = run();
      const debug = `${second.stdout}${second.stderr}`;
      assert.ok(compileCacheDir.startsWith(path.join(packageRoot, 'node_modules')), compileCacheDir);
      assert.ok(debug.includes(`resolved path ${compileCacheDir}`), debug.slice(0, 2000));
      rmSync(dataDir, { recursive: true, force: true });
      const own = new RegExp(
        `reading cache from \\S+ for ESM file://${path.join(packageRoot, firstOwnModule).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\.\\.\\[[\\d ]+\\]\\.\\.\\. success`,
      );
      assert.match(debug, own);
    });
  }
});
