import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAccount } from '../../src/accounts/accounts-service.js';
import { ClientCache } from '../../src/clients/client-cache.js';
import { createClient } from '../../src/clients/clients-service.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/types.js';
import { listenForNotifications } from '../../src/db/notification-listener.js';
import { openDatabase, type Database } from '../../src/db/open-database.js';
import { CLI_CALLER } from '../../src/rbac/caller.js';
import { freePort, PASSWORD } from '../helpers/auth-server.js';
import { configDirWith } from '../helpers/config-dir.js';
import { jsonApi } from '../helpers/json-api.js';
import { pgbouncerBinary, startPgBouncer, type RunningPgBouncer } from '../helpers/pgbouncer.js';
import { runCli, startServer, type RunningServer } from '../helpers/processes.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

/**
 * The server, its CLI and the tests' own connection all reach Postgres through PgBouncer in transaction
 * pooling, where consecutive statements of one client may run on different server connections: nothing
 * may rely on session state (SETs, session advisory locks, named prepared statements, LISTEN). From a
 * fresh database, so the migrations run through it too; the server runs two workers (WORKERS=2).
 */
describe('through PgBouncer in transaction pooling', function () {
  this.timeout(60_000);
  let testDb: TestDatabase;
  let bouncer: RunningPgBouncer;
  let server: RunningServer;
  let side: Database;
  let config: Config;
  let env: Record<string, string>;
  let issuer: string;

  const until = async (done: () => boolean) => {
    for (const deadline = Date.now() + 20_000; !done(); await sleep(100)) assert.ok(Date.now() < deadline, server.output());
  };

  before(async function () {
    if (!process.env.TEST_DATABASE_URL) {
      console.warn('    skipping the PgBouncer tests: they need Postgres (set TEST_DATABASE_URL)');
      this.skip();
    }
    if (!pgbouncerBinary()) {
      console.warn('    skipping the PgBouncer tests: pgbouncer is not installed (Debian: apt-get install pgbouncer)');
      this.skip();
    }
    testDb = await createTestDatabase('postgres');
    bouncer = await startPgBouncer(testDb.env.DATABASE_URL!);
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    env = {
      ...testDb.env,
      DATABASE_URL: bouncer.through(testDb.env.DATABASE_URL!),
      PORT: String(port),
      ISSUER: issuer,
      JWT_SECRET: 'test-secret-that-is-long-enough-for-auth-connect',
      // two workers, as a deployment using PgBouncer would run: each has its own pool and its own listeners
      WORKERS: '2',
      // the key ring's periodic read is what follows a rotation here; one second keeps the test short
      // and the login limit out of the way of the rounds of logins below
      CONFIG_DIR: configDirWith({ auth_config: { signing_keys: { check_interval_seconds: 1 }, rate_limit: { login_per_minute: 1000 } } }),
    };
    server = await startServer(env);
    await until(() => /2 workers listening on/.test(server.output()));
    config = loadConfig(env);
    side = await openDatabase(config.runtime, { role: 'cli', poolSize: 4 });
  });
  after(async () => {
    await side?.close();
    if (server) assert.equal(await server.stop(), 0, server.output());
    await bouncer?.stop();
    await testDb?.drop();
  });

  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  const token = (params: Record<string, string>, authorization?: string) =>
    fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
      body: new URLSearchParams(params),
    });
  const newMachine = async (name: string) => {
    const { client, secret } = await createClient(
      { db: side.knex, roles: config.roles },
      CLI_CALLER,
      { name, grant: 'client_credentials', permissions: ['read'] },
      { via: 'cli' },
    );
    return { id: client.client_id, secret: secret! };
  };

  it('issues client credentials tokens, many at once', async () => {
    assert.match(
      server.output(),
      new RegExp(`connecting to Postgres at postgres://[^"]*@${new URL(env.DATABASE_URL!).host}/`),
      'the server goes through PgBouncer',
    );
    const machine = await newMachine('Pooled Machine');
    const statuses = await Promise.all(
      Array.from({ length: 20 }, async () => (await token({ grant_type: 'client_credentials' }, basic(machine.id, machine.secret))).status),
    );
    assert.deepEqual([...new Set(statuses)], [200]);
  });

  it('logs in through the API, refreshes, and detects the reuse of a rotated refresh token', async () => {
    await createAccount({ db: side.knex, config }, { email: 'pooled@example.com', password: PASSWORD, role: 'student' });
    const login = await jsonApi(issuer)('POST', '/api/auth/login', { email: 'pooled@example.com', password: PASSWORD });
    assert.equal(login.status, 200);
    const refresh = async (refreshToken: string) => token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'auth-connect' });
    const second = await refresh(login.body.refresh_token);
    assert.equal(second.status, 200, await second.clone().text());
    const secondToken = ((await second.json()) as Record<string, string>).refresh_token!;
    const third = await refresh(secondToken);
    assert.equal(third.status, 200, await third.clone().text());
    const thirdToken = ((await third.json()) as Record<string, string>).refresh_token!;
    // the first token's successor has been used: presenting it again is reuse, and ends the whole chain
    assert.equal((await refresh(login.body.refresh_token)).status, 400);
    assert.equal((await refresh(thirdToken)).status, 400);
  });

  it('counts API logins in the shared rate-limit table, every one of them', async () => {
    await createAccount({ db: side.knex, config }, { email: 'counted@example.com', password: PASSWORD, role: 'student' });
    const points = async () =>
      Number((await side.knex('rate_limits').where('key', 'like', 'api_login%').sum<{ sum: string | null }[]>('points as sum'))[0]?.sum ?? 0);
    const before = await points();
    // rounds of concurrent logins: the server's pooled connections are reused, on whichever of PgBouncer's
    // server connections comes next, as a named prepared statement would not survive
    for (let round = 0; round < 4; round++) {
      const statuses = await Promise.all(
        Array.from({ length: 5 }, async () => (await jsonApi(issuer)('POST', '/api/auth/login', { email: 'counted@example.com', password: PASSWORD })).status),
      );
      assert.deepEqual([...new Set(statuses)], [200]);
    }
    // a failed count (the library's in-memory insurance takes over) would leave the table behind
    assert.equal((await points()) - before, 20);
  });

  it('lets an admin create a user and a client through the admin API, and the client gets tokens', async () => {
    await createAccount({ db: side.knex, config }, { email: 'boss@example.com', password: PASSWORD, role: 'admin' });
    const adminToken = (await jsonApi(issuer)('POST', '/api/auth/login', { email: 'boss@example.com', password: PASSWORD })).body.access_token as string;
    const admin = jsonApi(`${issuer}/api/admin`);
    assert.equal((await admin('POST', '/users', { email: 'hired@example.com', password: PASSWORD, role: 'instructor' }, adminToken)).status, 201);
    const created = await admin('POST', '/clients', { name: 'Admin Made', grant: 'client_credentials', permissions: ['read'] }, adminToken);
    assert.equal(created.status, 201);
    assert.equal((await token({ grant_type: 'client_credentials' }, basic(created.body.client_id, created.body.client_secret))).status, 200);
  });

  it('refuses a client the CLI deleted at once: no cache trusts notifications that never arrive', async () => {
    const machine = await newMachine('Doomed Machine');
    assert.equal((await token({ grant_type: 'client_credentials' }, basic(machine.id, machine.secret))).status, 200);
    const deleted = await runCli(['client', 'delete', machine.id], env);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal((await token({ grant_type: 'client_credentials' }, basic(machine.id, machine.secret))).status, 401);
  });

  it('follows a key rotation made by the CLI, by its periodic read', async () => {
    const published = async () => ((await (await fetch(`${issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    const before = await published();
    const rotated = await runCli(['keys', 'rotate', '--json'], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    const added = (JSON.parse(rotated.stdout) as { added: { kid: string }[] }).added.map((k) => k.kid);
    assert.ok(added.length > 0 && added.every((kid) => !before.includes(kid)));
    const deadline = Date.now() + 10_000;
    while (!added.every((kid) => before.includes(kid))) {
      assert.ok(Date.now() < deadline, `the server did not publish ${added.join(', ')} within 10 s`);
      await sleep(200);
      before.splice(0, before.length, ...(await published()));
    }
  });

  it('finds that LISTEN hears nothing here: the key listener and the client cache turn themselves off', async () => {
    const listener = listenForNotifications(side.knex, 'auth_connect_signing_keys', () => {}, { probeTimeoutMs: 1_000 });
    const cache = new ClientCache(side.knex, { probeTimeoutMs: 1_000 });
    cache.start();
    try {
      const deadline = Date.now() + 5_000;
      while (listener.state() !== 'off' || cache.state !== 'off') {
        assert.ok(Date.now() < deadline, `listener ${listener.state()}, client cache ${cache.state}`);
        await sleep(100);
      }
    } finally {
      await listener.close();
      await cache.close();
    }
  });
});
