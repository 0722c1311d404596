import assert from 'node:assert/strict';
import { cliInProcess, sharedDatabase, type SharedDatabase } from './helpers/in-process-cli.js';
import { runCli, startServer } from './helpers/processes.js';
import { createTestDatabase, testEngines, type TestDatabase } from './helpers/test-database.js';

// Most command lines run in-process on one kept-open database (cli), through the bin's own runCommandLine.
// A few run as a real `auth-connect` process (spawned), one for each thing only a process shows: the first
// command on a fresh database (init) on each engine; on the embedded database also a password through a pipe
// on stdin, a config error (exit 1, one line, nothing on stdout), an exit code a command answers (token
// verify), and the CLI beside a running server. A spawned command costs 0.5-2 s alone and several seconds in
// the full parallel run (~2 s more when it opens PGlite itself); an in-process one milliseconds.
// test/cli-version-and-groups.test.ts runs the #! line and a group listing as processes,
// test/cli-database-choice.test.ts the refusal to create a database.

for (const engine of testEngines()) {
  describe(`auth-connect CLI on ${engine}`, () => {
    let db: TestDatabase;
    let shared: SharedDatabase;
    before(async () => {
      db = await createTestDatabase(engine);
      shared = sharedDatabase(db);
    });
    after(async () => {
      await shared?.close();
      await db?.drop();
    });
    const cli = (args: string[], stdin?: string, env: Record<string, string> = {}) => cliInProcess(args, { ...db.env, ...env }, stdin, shared);
    const spawned = (args: string[], stdin?: string, env: Record<string, string> = {}) => runCli(args, { ...db.env, ...env }, stdin);
    /**
     * How a real process reads its stdin, prints and exits does not depend on the engine: checked spawned on
     * the embedded database (where the process also reaches the database through this one's socket), in-process on Postgres.
     */
    const asProcess = engine === 'embedded' ? spawned : cli;
    /** How commands name this database (open-database.ts's description). */
    const databaseLine = () => `database: ${engine === 'embedded' ? `embedded database in ${db.runtime.dataDir}` : `Postgres at ${db.env.DATABASE_URL}`}\n`;

    it('init migrates and prints the next steps (a real process, the first to open the database)', async () => {
      const r = await spawned(['init']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /applied \d+ migration/);
      assert.match(r.stdout, /Next steps:/);
      assert.match(r.stdout, /^ {2}npx auth-connect user create --email/m, 'runnable from the project folder, where auth-connect is not on PATH');
    });

    it('migrate says the database is up to date, also as JSON', async () => {
      const r = await cli(['migrate', '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout).applied, []);
    });

    it('user create with --password, --password-stdin, and its --json form', async () => {
      const a = await cli(['user', 'create', '--email', 'Admin@Example.com', '--role', 'admin', '--password', 'Secret123']);
      assert.equal(a.code, 0, a.stderr);
      assert.match(a.stdout, /^created user admin@example\.com \(admin\), id [0-9a-f-]{36}\n/);
      assert.ok(a.stdout.endsWith(databaseLine()), a.stdout);
      // as a process: the password comes through a pipe on its stdin
      const b = await asProcess(['user', 'create', '--email', 'student@example.com', '--password-stdin', '--json'], 'Secret123\n');
      assert.equal(b.code, 0, b.stderr);
      const created = JSON.parse(b.stdout);
      assert.equal(created.email, 'student@example.com');
      assert.equal(created.role, 'student');
      assert.equal(created.password_hash, undefined, 'no hash leaves the server');
    });

    it('user create refuses a duplicate, a weak password and an unknown role with one line and exit 1', async () => {
      const dup = await cli(['user', 'create', '--email', 'ADMIN@example.com', '--password', 'Secret123']);
      assert.deepEqual([dup.code, dup.stderr], [1, 'auth-connect: an account with this email already exists\n']);
      const weak = await cli(['user', 'create', '--email', 'w@example.com', '--password', 'weak']);
      assert.deepEqual([weak.code, weak.stderr], [1, 'auth-connect: password must have at least 8 characters, an uppercase letter, a digit\n']);
      const role = await cli(['user', 'create', '--email', 'r@example.com', '--password', 'Secret123', '--role', 'root', '--json']);
      assert.equal(role.code, 1);
      assert.deepEqual(JSON.parse(role.stdout), { error: 'UNKNOWN_ROLE', message: 'role "root" does not exist; roles: admin, instructor, student, guest' });
      const email = await cli(['user', 'create', '--email', 'nobody', '--password', 'Secret123']);
      assert.deepEqual([email.code, email.stderr], [1, 'auth-connect: email must look like name@example.com\n']);
    });

    it('user create without a password and without a terminal says how to give one', async () => {
      // stdin is a stream that is no terminal, as a pipe is for a real process (the bin hands over process.stdin)
      const r = await cli(['user', 'create', '--email', 'x@example.com']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^auth-connect: no password given: use --password-stdin/);
    });

    it('user list shows users, filters, and pages', async () => {
      const all = await cli(['user', 'list']);
      assert.equal(all.code, 0, all.stderr);
      assert.match(all.stdout, /^EMAIL\s+ROLE\s+STATUS\s+CREATED\s+ID\n/);
      assert.match(all.stdout, /admin@example\.com\s+admin\s+active/);
      assert.match(all.stdout, /2 of 2 user\(s\)/);
      const page = JSON.parse((await cli(['user', 'list', '--search', 'stud', '--json'])).stdout);
      assert.equal(page.total, 1);
      assert.equal(page.users[0].email, 'student@example.com');
      const bad = await cli(['user', 'list', '--limit', 'ten']);
      assert.deepEqual([bad.code, bad.stderr], [2, 'auth-connect: --limit must be a whole number from 1 to 10000 (got ten)\n']);
    });

    it('user set-role, disable and enable change the user', async () => {
      const role = await cli(['user', 'set-role', '--email', 'student@example.com', '--role', 'instructor']);
      assert.deepEqual([role.code, role.stdout], [0, `student@example.com now has role instructor\n${databaseLine()}`]);
      const disabled = JSON.parse((await cli(['user', 'disable', '--email', 'student@example.com', '--json'])).stdout);
      assert.equal(disabled.is_active, false);
      assert.match((await cli(['user', 'list'])).stdout, /student@example\.com\s+instructor\s+disabled/);
      assert.equal((await cli(['user', 'enable', '--email', 'student@example.com'])).code, 0);
      const missing = await cli(['user', 'disable', '--email', 'ghost@example.com']);
      assert.deepEqual([missing.code, missing.stderr], [1, 'auth-connect: no user with email ghost@example.com\n']);
      const badRole = await cli(['user', 'set-role', '--email', 'student@example.com', '--role', 'root']);
      assert.equal(badRole.code, 1);
    });

    it('roles list prints roles.json', async () => {
      const r = await cli(['roles', 'list']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /admin\s+read,write,delete,manage_users,manage_content,manage_system,chat,save_progress\s+Full system access/);
      assert.deepEqual(JSON.parse((await cli(['roles', 'list', '--json'])).stdout).guest.permissions, ['read']);
    });

    it('config show validates and redacts secrets', async () => {
      const r = await cli(['config', 'show', '--json'], undefined, { JWT_SECRET: 'a-very-secret-value-of-enough-length-1234' });
      assert.equal(r.code, 0, r.stderr);
      const shown = JSON.parse(r.stdout);
      assert.equal(shown.auth.jwt.algorithm, 'ES256');
      assert.equal(shown.runtime.jwtSecret, '[set]');
      assert.doesNotMatch(r.stdout, /a-very-secret-value/);
      if (engine === 'postgres') assert.doesNotMatch(shown.runtime.databaseUrl, /:[^:@/]+@/, 'no password in the URL');
      // as a process: what it prints on a configuration error, and its exit code
      const bad = await asProcess(['config', 'show'], undefined, { JWT_ALGORITHM: 'HS256' });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /^auth-connect: JWT_ALGORITHM=HS256 is refused: APIs verify tokens through the JWKS[^\n]*\n$/);
      assert.equal(bad.stdout, '');
    });

    it('health fails with exit 1 when the keys are missing', async () => {
      // the database holds ES256 and RS256 keys (init made them); a configuration asking for PS256 lacks one
      const r = await cli(['health'], undefined, { JWT_ALGORITHM: 'PS256' });
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^FAIL\s+keys: no PS256 key in the database; run auth-connect keys generate/m);
    });

    it('health reports each check and exits 0 when all are fine', async () => {
      const r = await cli(['health']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^ok\s+database: /m);
      assert.match(r.stdout, /^ok\s+migrations: \d+ applied, none pending/m);
      assert.match(r.stdout, /^ok\s+keys: 2 signing key\(s\) in the database, encrypted at rest/m);
      assert.equal(JSON.parse((await cli(['health', '--json'])).stdout).ok, true);
    });

    it('keys list shows the keys init created; keys generate refuses to overwrite them without --force', async () => {
      const { keys: list } = JSON.parse((await cli(['keys', 'list', '--json'])).stdout) as { keys: { alg: string; kid: string }[] };
      assert.deepEqual(list.map((k) => k.alg).sort(), ['ES256', 'RS256']);
      const again = await cli(['keys', 'generate']);
      assert.equal(again.code, 2);
      assert.match(again.stderr, /already holds keys for ES256 and RS256; --force replaces them/);
      const forced = JSON.parse((await cli(['keys', 'generate', '--force', '--json'])).stdout) as { keys: { kid: string }[] };
      assert.notDeepEqual(forced.keys.map((k) => k.kid).sort(), list.map((k) => k.kid).sort());
    });

    it('client create prints the secret once; client list never shows it; client delete removes it', async () => {
      const machine = await cli(['client', 'create', '--name', 'Nightly job', '--grant', 'client_credentials', '--permissions', 'read,write', '--json']);
      assert.equal(machine.code, 0, machine.stderr);
      const created = JSON.parse(machine.stdout);
      assert.match(created.client_secret, /^[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(created.permissions, ['read', 'write']);
      const web = await cli(['client', 'create', '--name', 'Web', '--grant', 'authorization_code', '--redirect-uri', 'https://app.example.com/cb', '--public']);
      assert.equal(web.code, 0, web.stderr);
      assert.match(web.stdout, /public client: no secret; use PKCE/);
      const tv = JSON.parse((await cli(['client', 'create', '--name', 'TV', '--grant', 'device_code', '--public', '--json'])).stdout);
      assert.deepEqual([tv.client_secret, tv.grant_types], [undefined, ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token']]);
      const list = await cli(['client', 'list']);
      assert.match(list.stdout, /Nightly job\s+client_credentials\s+confidential\s+read,write/);
      assert.doesNotMatch(list.stdout, new RegExp(created.client_secret));
      assert.equal((await cli(['client', 'delete', created.client_id])).code, 0);
      assert.doesNotMatch((await cli(['client', 'list'])).stdout, /Nightly job/);
    });

    it('client create and delete refuse bad input with one line', async () => {
      const cases: [string[], number, RegExp][] = [
        [['client', 'create', '--name', 'X', '--grant', 'password'], 2, /--grant must be client_credentials, authorization_code, device_code \(got password\)/],
        [['client', 'create', '--name', 'X', '--grant', 'authorization_code'], 1, /needs at least one --redirect-uri/],
        [
          ['client', 'create', '--name', 'X', '--grant', 'authorization_code', '--redirect-uri', 'http://evil.example/cb'],
          1,
          /must use https \(http is allowed for localhost only\)/,
        ],
        [['client', 'create', '--name', 'X', '--grant', 'authorization_code', '--redirect-uri', 'https://a.example/cb#frag'], 1, /must not contain a fragment/],
        [['client', 'create', '--name', 'X', '--grant', 'client_credentials', '--permissions', 'read,fly'], 1, /unknown permission\(s\): fly/],
        [['client', 'create', '--name', 'X', '--grant', 'client_credentials', '--public'], 1, /cannot be public/],
        [
          ['client', 'create', '--name', 'X', '--grant', 'device_code', '--redirect-uri', 'https://a.example/cb'],
          1,
          /a device_code client has no redirect URIs/,
        ],
        [['client', 'delete', 'no-such-client'], 1, /no client with id no-such-client/],
        [['client', 'delete'], 2, /missing CLIENT_ID/],
      ];
      for (const [args, code, message] of cases) {
        const r = await cli(args);
        assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.equal(r.stderr.trim().split('\n').length, 1);
      }
    });

    it('client hash-secret prints the hash clients.json takes', async () => {
      const r = await cli(['client', 'hash-secret'], 'a-client-secret-of-at-least-32-characters\n');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^sha256:[A-Za-z0-9_-]{43}\n$/);
      assert.equal((await cli(['client', 'hash-secret'], 'short')).code, 2);
    });

    it('apikey create, list and revoke; token verify prints claims or the error code', async () => {
      const created = await cli([
        'apikey',
        'create',
        '--user',
        'admin@example.com',
        '--name',
        'deploy',
        '--permissions',
        'read,write',
        '--expires-days',
        '30',
        '--json',
      ]);
      assert.equal(created.code, 0, created.stderr);
      const key = JSON.parse(created.stdout);
      assert.match(key.key, /^ack_[0-9a-f]{16}_/);
      assert.deepEqual(key.permissions, ['read', 'write']);
      const list = await cli(['apikey', 'list']);
      assert.match(list.stdout, /ack_[0-9a-f]{16}\s+deploy\s+read,write\s+active/);
      assert.ok(!list.stdout.includes(key.key));
      const beyond = await cli(['apikey', 'create', '--user', 'student@example.com', '--name', 'x', '--permissions', 'delete']);
      assert.deepEqual([beyond.code, beyond.stderr], [1, 'auth-connect: an API key cannot carry permissions its owner lacks: delete\n']);
      assert.equal((await cli(['apikey', 'revoke', key.id])).code, 0);
      assert.match((await cli(['apikey', 'list'])).stdout, /deploy\s+read,write\s+revoked/);
      assert.deepEqual([(await cli(['apikey', 'revoke', key.id])).code], [1]);
      const days = await cli(['apikey', 'create', '--user', 'admin@example.com', '--name', 'x', '--expires-days', 'soon']);
      assert.equal(days.code, 2);

      // as a process: an exit code a command answers (not a thrown error) ends the process with it
      const verify = await asProcess(['token', 'verify', 'not-a-token']);
      assert.deepEqual([verify.code, verify.stdout.split(':')[0]], [1, 'INVALID_TOKEN']);
    });

    it('answers a mistyped command or flag with one line and exit 2', async () => {
      const flag = await cli(['user', 'create', '--emial', 'x@example.com']);
      assert.equal(flag.code, 2);
      assert.match(flag.stderr, /^auth-connect: unknown option --emial \(did you mean --email\?\); usage: auth-connect user create --email E/);
      assert.equal(flag.stderr.trim().split('\n').length, 1);
      const command = await cli(['usr', 'list']);
      assert.deepEqual([command.code, command.stderr], [2, 'auth-connect: unknown command "usr list" (did you mean "user list"?); run auth-connect --help\n']);
      const missing = await cli(['user', 'set-role', '--email']);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /^auth-connect: --email needs a value/);
      const extra = await cli(['migrate', 'now']);
      assert.deepEqual([extra.code, extra.stderr.split(';')[0]], [2, 'auth-connect: unexpected argument "now"']);
      const help = await cli(['--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /user create\s+create a user/);
    });

    if (engine === 'embedded') {
      it('works beside a running server on the same embedded database, and a second server is refused', async () => {
        await shared.close(); // the server must own the embedded database; the CLI talks to it through its socket
        const server = await startServer(db.env);
        try {
          const created = await spawned(['user', 'create', '--email', 'beside@example.com', '--password', 'Secret123']);
          assert.equal(created.code, 0, created.stderr);
          // in-process and not kept open: it opens the database as the CLI does, finding the server's socket
          assert.match((await cliInProcess(['user', 'list'], db.env)).stdout, /beside@example\.com/);
          const second = await startServer(db.env, 15_000).then(
            () => assert.fail('a second server started'),
            (error: Error) => error.message,
          );
          assert.match(
            second,
            /the embedded database in \S+ is already used by another auth-connect server \(pid \d+\); stop it, give this one its own DATA_DIR, or use Postgres/,
          );
        } finally {
          assert.equal(await server.stop(), 0, 'SIGTERM shuts down cleanly');
        }
        assert.match((await cli(['user', 'list'])).stdout, /beside@example\.com/, 'nothing written beside the server was lost');
      });
    }
  });
}
