import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '../src/clients/clients-service.js';
import { CLI_CALLER } from '../src/rbac/caller.js';
import { loadConfig } from '../src/config/load-config.js';
import { configDirWith } from './helpers/config-dir.js';
import { startServerInProcess } from './helpers/in-process-server.js';
import { startServer } from './helpers/processes.js';
import { TcpProxy } from './helpers/tcp-proxy.js';
import { createTestDatabase, type TestDatabase } from './helpers/test-database.js';

describe('server shell', () => {
  it('serves /healthz and /readyz on the embedded database and stops cleanly on SIGTERM', async () => {
    const db = await createTestDatabase('embedded');
    try {
      const server = await startServer(db.env);
      assert.match(server.output(), /auth-connect listening on http:\/\/localhost:0|auth-connect listening on http/);
      assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { status: 'ok' });
      const ready = await fetch(`${server.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(ready.headers.get('cache-control'), 'no-store');
      assert.equal(await server.stop('SIGINT'), 0);
    } finally {
      await db.drop();
    }
  });

  it('refuses to start with an unreachable database: one clear line, exit 1', async () => {
    const error = await startServer({ DATABASE_URL: 'postgres://auth:pw@127.0.0.1:1/auth', DATA_DIR: mkdtempSync(path.join(tmpdir(), 'ac-')) }, 20_000).then(
      () => assert.fail('started'),
      (e: Error) => e.message,
    );
    // the log (stdout) and the one-line reason (stderr) are separate streams: their order is not fixed
    assert.match(error, /exited with 1 before listening:\n/);
    assert.match(error, /^\{[^\n]*"msg":"connecting to Postgres at postgres:\/\/auth:\*\*\*@127\.0\.0\.1:1\/auth…"\}$/m);
    assert.match(error, /^auth-connect: cannot use the Postgres at postgres:\/\/auth:\*\*\*@127\.0\.0\.1:1\/auth: connection refused; is Postgres running/m);
    assert.doesNotMatch(error, /pw@|\n\s+at /, 'no password and no stack trace');
  });

  it('refuses to start with a bad configuration value: one line naming it', async () => {
    const error = await startServer({ JWT_ALGORITHM: 'HS256' }).then(
      () => assert.fail('started'),
      (e: Error) => e.message,
    );
    assert.match(error, /exited with 1 before listening:\nauth-connect: JWT_ALGORITHM=HS256 is refused[^\n]*\n$/);
  });

  it('in production, refuses to start without JWT_SECRET or without signing keys', async () => {
    const db = await createTestDatabase('embedded');
    try {
      const base = { ...db.env, NODE_ENV: 'production', ISSUER: 'https://id.example.com' };
      const noSecret = await startServer(base).then(
        () => assert.fail('started'),
        (e: Error) => e.message,
      );
      assert.match(noSecret, /auth-connect: JWT_SECRET is required when NODE_ENV=production/);
      // keys live in the database: the refusal comes once it is open, as one line
      const noKeys = await startServer({ ...base, JWT_SECRET: 'x'.repeat(40) }).then(
        () => assert.fail('started'),
        (e: Error) => e.message,
      );
      assert.match(
        noKeys,
        /^auth-connect: no ES256 and RS256 signing key in the database \(and no \S+jwks\.json to import\); create keys with: auth-connect keys generate$/m,
      );
      assert.doesNotMatch(noKeys, /\n\s+at /);
    } finally {
      await db.drop();
    }
  });

  const postgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;
  postgres('on Postgres, when the database goes away while running', () => {
    let db: TestDatabase;
    let proxy: TcpProxy;
    before(async () => {
      db = await createTestDatabase('postgres');
      const target = new URL(db.env.DATABASE_URL!);
      proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
      await proxy.start();
    });
    after(async () => {
      await proxy.cut();
      await db.drop();
    });
    const viaProxy = () => {
      const url = new URL(db.env.DATABASE_URL!);
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      return url.toString();
    };
    const untilReady = async (url: string) => {
      let status = 0;
      for (let i = 0; i < 40 && status !== 200; i++) {
        status = (await fetch(`${url}/readyz`)).status;
        if (status !== 200) await sleep(250);
      }
      return status;
    };

    it('answers 503 on /readyz, keeps living, and recovers when the database returns', async () => {
      const server = await startServer({ ...db.env, DATABASE_URL: viaProxy() });
      const direct = await db.open();
      const { client, secret } = await createClient(
        { db: direct.knex, roles: loadConfig({}).roles },
        CLI_CALLER,
        { name: 'probe', grant: 'client_credentials', permissions: ['read'] },
        { via: 'cli' },
      );
      await direct.close();
      const clientCredentials = () =>
        fetch(`${server.url}/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${client.client_id}:${secret}`).toString('base64')}`,
          },
          body: 'grant_type=client_credentials',
        });
      try {
        assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
        assert.equal((await clientCredentials()).status, 200);
        await proxy.cut();
        const down = await fetch(`${server.url}/readyz`);
        assert.equal(down.status, 503);
        assert.deepEqual(await down.json(), { status: 'unavailable', failed: ['database'] });

        const token = await clientCredentials();
        assert.equal(token.status, 503, 'the token endpoint says 503, not 500');
        assert.equal(((await token.json()) as { error: string }).error, 'temporarily_unavailable');
        assert.ok(token.headers.get('retry-after'));
        const login = await fetch(`${server.url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'a@example.com', password: 'Secret123' }),
        });
        assert.equal(login.status, 503, 'the account API says 503');
        assert.ok(login.headers.get('retry-after'));
        assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'the process lives');
        await sleep(500);
        assert.equal(server.process.exitCode, null);

        await proxy.restore();
        assert.equal(await untilReady(server.url), 200, 'ready again without a restart');
        assert.equal((await clientCredentials()).status, 200, 'tokens again');
      } finally {
        assert.equal(await server.stop(), 0);
      }
    });

    it('keeps limiting logins while the database is away, per instance: the sign-in answers 503 until the limit, then 429; never 500', async () => {
      const perMinute = 3;
      // in this process: the outage's answers are the subject; that the process lives through it, the test above
      const server = await startServerInProcess({
        ...db.env,
        DATABASE_URL: viaProxy(),
        CONFIG_DIR: configDirWith({ auth_config: { rate_limit: { login_per_minute: perMinute, register_per_minute: 10, user_code_per_minute: 10 } } }),
      });
      const login = () =>
        fetch(`${server.url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'a@example.com', password: 'Secret123' }),
        });
      try {
        await proxy.cut();
        const answers = [];
        for (let i = 0; i < perMinute + 2; i++) answers.push(await login());
        // the limit check cannot reach the rate_limits table: its insurance (this instance's memory) counts
        // instead, and the request goes on to the sign-in, which answers for the database
        assert.deepEqual(
          answers.map((r) => r.status),
          [503, 503, 503, 429, 429],
        );
        for (const answer of answers) assert.ok(Number(answer.headers.get('retry-after')) >= 1, `Retry-After on ${answer.status}`);
        assert.equal(((await answers[0]!.json()) as { error: string }).error, 'SERVICE_UNAVAILABLE');
        assert.equal(((await answers.at(-1)!.json()) as { error: string }).error, 'TOO_MANY_REQUESTS');

        await proxy.restore();
        assert.equal(await untilReady(server.url), 200);
        // back on the shared count, which the outage's requests never reached
        assert.equal((await login()).status, 401);
      } finally {
        assert.equal(await server.stop(), 0);
      }
    });
  });
});
