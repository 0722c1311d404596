import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { walkTree } from '../src/files/walk-tree.js';
import { runCli, startServer } from './helpers/processes.js';
import { createTestDatabase, testEngines, type TestDatabase } from './helpers/test-database.js';

/** Every entry under `root` that group or other users may access, as "path mode". */
function openEntries(root: string): string[] {
  const found: string[] = [];
  walkTree(root, (file, stats) => {
    if (stats.mode & 0o077) found.push(`${file} ${(stats.mode & 0o777).toString(8)}`);
  });
  return found;
}

/** DATA_DIR and KEYS_DIR as a careless operator leaves them: open directories, readable files. */
function loosen(db: TestDatabase): void {
  const { dataDir, keysDir } = db.runtime;
  mkdirSync(keysDir, { recursive: true });
  writeFileSync(path.join(dataDir, 'notes.txt'), 'left by the operator\n');
  writeFileSync(path.join(keysDir, 'README'), 'keys live here\n');
  walkTree(dataDir, (file, stats) => chmodSync(file, stats.isDirectory() ? 0o755 : 0o666));
}

for (const engine of testEngines()) {
  describe(`file permissions on ${engine}`, () => {
    let db: TestDatabase;
    beforeEach(async () => {
      db = await createTestDatabase(engine);
      loosen(db);
    });
    afterEach(() => db.drop());

    it('the server makes DATA_DIR and KEYS_DIR owner-only at start, and keeps what it creates that way', async () => {
      assert.notDeepEqual(openEntries(db.runtime.dataDir), [], 'the test starts from open files');
      // no JWT_SECRET: the generated secret lands in DATA_DIR (the generated keys in the database)
      const server = await startServer(db.env);
      try {
        assert.deepEqual(openEntries(db.runtime.dataDir), []);
        assert.deepEqual(openEntries(db.runtime.keysDir), []);
        assert.equal(statSync(db.runtime.dataDir).mode & 0o777, 0o700);
        assert.equal(statSync(path.join(db.runtime.dataDir, 'server-secret')).mode & 0o777, 0o600);
        // the database creates files while it serves (the migrations at start made tables; this adds rows)
        const created = await runCli(['user', 'create', '--email', 'p@example.com', '--password', 'Secret123'], db.env);
        assert.equal(created.code, 0, created.stderr);
        assert.deepEqual(openEntries(db.runtime.dataDir), []);
      } finally {
        assert.equal(await server.stop(), 0);
      }
      assert.deepEqual(openEntries(db.runtime.dataDir), []);
    });

    it('auth-connect health names an open file and the command that closes it', async () => {
      const fixes: string[] = [];
      for (;;) {
        const health = await runCli(['health'], db.env);
        const failure = /FAIL {2}permissions: (DATA_DIR|KEYS_DIR): \S+ is open to other users \(mode 0\d{3}\); run: (chmod -R go-rwx (\S+))\n/.exec(
          health.stdout,
        );
        if (!failure) {
          assert.match(health.stdout, /ok {4}permissions: owner-only/);
          break;
        }
        assert.equal(health.code, 1);
        assert.ok(fixes.length < 2, `the suggested fix did not work: ${health.stdout}`);
        fixes.push(failure[1]!);
        execFileSync('sh', ['-c', failure[2]!]); // what the operator would paste
      }
      assert.equal(fixes[0], 'DATA_DIR');
      assert.deepEqual([...openEntries(db.runtime.dataDir), ...openEntries(db.runtime.keysDir)], []);
    });
  });
}

describe('file permissions that cannot be fixed', () => {
  it('refuses to start with one line naming the path and the fix when a file belongs to another user', async function () {
    if (process.getuid?.() !== 0) this.skip(); // needs root to make a file that the server's user does not own
    const nobody = { uid: 65534, gid: 65534 };
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ac-foreign-'));
    try {
      chmodSync(dataDir, 0o700);
      chownSync(dataDir, nobody.uid, nobody.gid);
      const foreign = path.join(dataDir, 'left-by-root');
      writeFileSync(foreign, 'x');
      chmodSync(foreign, 0o644);
      const env = { DATA_DIR: dataDir, KEYS_DIR: path.join(dataDir, 'keys'), JWT_SECRET: 'x'.repeat(40), DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
      const error = await startServer(env, 20_000, nobody).then(
        () => assert.fail('started'),
        (e: Error) => e.message,
      );
      assert.match(
        error,
        new RegExp(
          `exited with 1 before listening:\\nauth-connect: DATA_DIR: ${foreign} is open to other users \\(mode 0644\\) and cannot be made owner-only \\(EPERM, it belongs to uid 0\\); as its owner or root run: chown -R 65534 ${dataDir} && chmod -R go-rwx ${dataDir}\\n$`,
        ),
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
