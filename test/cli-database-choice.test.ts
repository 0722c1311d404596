import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliInProcess, createdFromTemplate, sharedDatabase, type SharedDatabase } from './helpers/in-process-cli.js';
import { runCli } from './helpers/processes.js';
import { createTestDatabase, testEngines, type TestDatabase } from './helpers/test-database.js';

// A CLI run without the server's DATA_DIR used to create a fresh ./data and report success into a database
// the server never reads. Now every data command names its database, and only init, migrate and --create
// make a new embedded one.
// Command lines run in-process (cliInProcess, on one kept-open database where they share one); the refusal
// to create a database runs as a real process (runCli). test/cli.test.ts has a real process open a new database.

for (const engine of testEngines()) {
  describe(`auth-connect names the database it used, on ${engine}`, () => {
    let db: TestDatabase;
    let shared: SharedDatabase;
    let description: string;
    const cli = (args: string[]) => cliInProcess(args, db.env, undefined, shared);
    before(async () => {
      db = await createTestDatabase(engine);
      shared = sharedDatabase(db);
      description = engine === 'embedded' ? `embedded database in ${db.runtime.dataDir}` : `Postgres at ${db.env.DATABASE_URL}`;
      assert.equal((await cli(['migrate'])).code, 0);
    });
    after(async () => {
      await shared?.close();
      await db?.drop();
    });

    it('in the human output of data commands, and not in commands that use no database', async () => {
      for (const args of [
        ['user', 'list'],
        ['client', 'list'],
        ['apikey', 'list'],
        ['user', 'create', '--email', 'named@example.com', '--password', 'Secret123'],
      ]) {
        const r = await cli(args);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.stdout.endsWith(`database: ${description}\n`), `${args.join(' ')}:\n${r.stdout}`);
      }
      assert.match((await cli(['migrate'])).stdout, new RegExp(`^the ${description.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is up to date\n$`));
      const roles = await cli(['roles', 'list']);
      assert.doesNotMatch(roles.stdout, /database/);
    });

    it('as "database" in --json', async () => {
      for (const args of [
        ['user', 'list'],
        ['client', 'list'],
        ['apikey', 'list'],
        ['user', 'disable', '--email', 'named@example.com'],
        ['migrate'],
        ['health'],
      ]) {
        const r = await cli([...args, '--json']);
        assert.equal(JSON.parse(r.stdout).database, description, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      }
    });

    if (engine === 'postgres') {
      it('without the password of DATABASE_URL', async () => {
        const url = new URL(db.env.DATABASE_URL!);
        url.password = 'do-not-print-me';
        // another DATABASE_URL than the kept database's: the command opens its own connection with it
        const r = await cliInProcess(['user', 'list', '--json'], { ...db.env, DATABASE_URL: url.toString() }, undefined, shared);
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stdout, /do-not-print-me/);
        assert.match(JSON.parse(r.stdout).database, /^Postgres at postgres:\/\/postgres:\*\*\*@/);
      });
    }
  });
}

describe('auth-connect and a DATA_DIR without an embedded database', () => {
  const dirs: string[] = [];
  const emptyDataDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ac-nodb-'));
    dirs.push(dir);
    return { dir, env: { DATA_DIR: dir, KEYS_DIR: path.join(dir, 'keys') } };
  };
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('a data command refuses to create one, says why in one line, and leaves nothing behind', async () => {
    const { dir, env } = emptyDataDir();
    // a real process: what it prints when it has no database, and its exit code
    const r = await runCli(['user', 'create', '--email', 'lost@example.com', '--password', 'Secret123'], env);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      `auth-connect: there is no embedded database in ${dir} (DATA_DIR) and this command would create a new, empty one; ` +
        "point DATA_DIR (or DATABASE_URL) at the server's database, or create one with npx auth-connect init (or --create)\n",
    );
    assert.equal(existsSync(path.join(dir, 'pgdata')), false);
    const json = await cliInProcess(['user', 'list', '--json'], { ...env, DATA_DIR: path.join(dir, 'not-there') });
    assert.equal(JSON.parse(json.stdout).error, 'NO_DATABASE');
    assert.equal(existsSync(path.join(dir, 'not-there')), false);
  });

  it('health reports the missing database instead of creating one', async () => {
    const { dir, env } = emptyDataDir();
    const r = await cliInProcess(['health'], env);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^FAIL\s+database: there is no embedded database in /m);
    assert.equal(existsSync(path.join(dir, 'pgdata')), false);
  });

  it('--create makes one, and later commands use it without --create', async () => {
    const { dir, env } = emptyDataDir();
    // the command may create one; the copy of an empty database stands in for PGlite's initdb (the test of init runs that)
    const created = await cliInProcess(
      ['user', 'create', '--email', 'first@example.com', '--password', 'Secret123', '--create'],
      env,
      undefined,
      createdFromTemplate,
    );
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, new RegExp(`database: embedded database in ${dir}\n$`));
    const list = await cliInProcess(['user', 'list'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /first@example\.com/);
  });

  it('init creates one (it exists to)', async () => {
    const { dir, env } = emptyDataDir();
    const r = await cliInProcess(['init'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^database: embedded database in ${dir}, applied \\d+ migration`, 'm'));
    assert.ok(existsSync(path.join(dir, 'pgdata', 'PG_VERSION')));
  });
});
