import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeProtectedHeader } from 'jose';
import { createVerifier } from '@auth-connect/resource-server';
import { freePort, PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { configDirWith } from './helpers/config-dir.js';
import { runCli, startServer, type RunningServer } from './helpers/processes.js';
import { testEngines } from './helpers/test-database.js';

const CHECK_INTERVAL_MS = 1_000;
const PREPUBLISH_MS = 3_000;

/**
 * A rotation end to end with short times (a new key signs 3 s after it is published, servers read the keys
 * every second), through real processes and a real database: on Postgres two servers with their own data
 * directories and no KEYS_DIR, one rotated through the admin API and the other following; on the embedded
 * database one server following a `keys rotate` run beside it. The schedule over its full length (retirement
 * included) is tested on an injected clock in test/key-ring.test.ts.
 */
for (const engine of testEngines()) {
  describe(`signing key rotation without downtime (${engine})`, function () {
    this.timeout(120_000);
    let a: TestAuthServer;
    let b: RunningServer | undefined;
    let bDataDir: string | undefined;
    let client: { id: string; secret: string };
    let adminToken: string;

    before(async () => {
      const configDir = configDirWith({
        auth_config: { signing_keys: { prepublish_seconds: PREPUBLISH_MS / 1000, retire_after_seconds: 60, check_interval_seconds: CHECK_INTERVAL_MS / 1000 } },
      });
      // KEYS_DIR names nothing: the keys live in the database only
      const noKeysDir = path.join(tmpdir(), 'ac-no-keys-here');
      a = await startAuthServer(engine, { CONFIG_DIR: configDir, ACCESS_TOKEN_EXPIRE_MINUTES: '1', KEYS_DIR: `${noKeysDir}-a` });
      if (engine === 'postgres') {
        bDataDir = mkdtempSync(path.join(tmpdir(), 'ac-data-b-'));
        b = await startServer({ ...a.env, PORT: String(await freePort()), DATA_DIR: bDataDir, KEYS_DIR: `${noKeysDir}-b` });
      }
      const created = await a.createClient({ name: 'Rotation probe', grant: 'client_credentials', permissions: ['read'] });
      client = { id: created.client.client_id, secret: created.secret! };
      await a.createUser('keys-admin@example.com', 'admin');
      const login = await fetch(`${a.issuer}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'keys-admin@example.com', password: PASSWORD }),
      });
      adminToken = ((await login.json()) as { access_token: string }).access_token;
    });
    after(async () => {
      await b?.stop();
      await a?.stop();
      if (bDataDir) rmSync(bDataDir, { recursive: true, force: true });
    });

    const origins = () => [a.issuer, ...(b ? [b.url] : [])];
    const token = async (origin: string) => {
      const response = await fetch(`${origin}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
      assert.equal(response.status, 200);
      return ((await response.json()) as { access_token: string }).access_token;
    };
    const published = async (origin: string) =>
      ((await (await fetch(`${origin}/jwks`)).json()) as { keys: { kid: string; alg: string }[] }).keys.map((k) => k.kid).sort();

    it('every instance publishes the same keys, from the database', async () => {
      const [first, ...others] = await Promise.all(origins().map(published));
      assert.equal(first!.length, 2);
      for (const other of others) assert.deepEqual(other, first);
    });

    it(`follows a rotation within check_interval_seconds on every instance, and an API with a cached JWKS verifies every token through it`, async () => {
      // APIs that cache each instance's JWKS for 1 s (below the 3 s pre-publication), as a load balancer would hand it out
      const apis = origins().map((origin) =>
        createVerifier({ issuer: a.issuer, audience: 'urn:auth-connect:api', jwksUri: `${origin}/jwks`, jwksCacheMaxAgeSeconds: 1 }),
      );
      const oldKid = decodeProtectedHeader(await token(a.issuer)).kid!;
      const failures: string[] = [];
      let verified = 0;
      const issueAndVerify = async (round: number) => {
        const origin = origins()[round % origins().length]!;
        const value = await token(origin);
        for (const api of apis) {
          await api.verify(value).then(
            () => verified++,
            (error: Error) => failures.push(`${origin} ${decodeProtectedHeader(value).kid}: ${error.message}`),
          );
        }
        return decodeProtectedHeader(value).kid!;
      };
      for (let round = 0; round < 4; round++) await issueAndVerify(round);

      const rotatedAt = Date.now();
      let newKid: string;
      if (engine === 'postgres') {
        // on A, through the admin API (which answered 500 without a key file before keys moved into the database)
        const rotated = await fetch(`${a.issuer}/api/admin/keys/rotate`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` } });
        assert.equal(rotated.status, 200, await rotated.clone().text());
        newKid = ((await rotated.json()) as { added: { kid: string; alg: string }[] }).added.find((k) => k.alg === 'ES256')!.kid;
      } else {
        // beside the running server, through its socket
        const r = await runCli(['keys', 'rotate', '--json'], a.env);
        assert.equal(r.code, 0, r.stderr);
        newKid = (JSON.parse(r.stdout) as { added: { kid: string; alg: string }[] }).added.find((k) => k.alg === 'ES256')!.kid;
      }
      // the change is committed by now (a CLI on a loaded machine may take seconds to start): following is measured from here
      const rotatedBy = Date.now();

      // each instance watched on its own, every 50 ms, so the measure does not wait for the token rounds below
      const watch = async (origin: string) => {
        while (Date.now() - rotatedBy < 5 * CHECK_INTERVAL_MS) {
          if ((await published(origin)).includes(newKid)) return Date.now() - rotatedBy;
          await sleep(50);
        }
        return undefined;
      };
      const followed = Promise.all(origins().map(async (origin) => [origin, await watch(origin)] as const));
      let firstNewTokenAt = 0;
      for (let round = 0; Date.now() - rotatedBy < PREPUBLISH_MS + 3 * CHECK_INTERVAL_MS; round++) {
        const kid = await issueAndVerify(round);
        if (kid === newKid && !firstNewTokenAt) firstNewTokenAt = Date.now();
        await sleep(100);
      }

      assert.deepEqual(failures, [], `no failed verification (${verified} succeeded)`);
      for (const [origin, after] of await followed) {
        assert.ok(after !== undefined, `${origin} published the new key`);
        assert.ok(
          after <= CHECK_INTERVAL_MS + 500,
          `${origin} published the new key ${after} ms after the rotation was committed (check interval ${CHECK_INTERVAL_MS} ms)`,
        );
      }
      assert.ok(firstNewTokenAt, 'the new key took over');
      assert.ok(
        firstNewTokenAt - rotatedAt >= PREPUBLISH_MS,
        `the new key signed ${firstNewTokenAt - rotatedAt} ms after the rotation, before its pre-publication time`,
      );
      for (const origin of origins()) assert.equal(decodeProtectedHeader(await token(origin)).kid, newKid, `${origin} signs with the new key`);
      for (const origin of origins()) assert.ok((await published(origin)).includes(oldKid), 'the old key stays published while its tokens live');

      const [row] = await a.db.knex('audit_events').where({ event: 'keys.rotated' }).select('actor_type', 'details');
      assert.equal(row.actor_type, engine === 'postgres' ? 'user' : 'cli', 'the rotation is audited with its actor');
      assert.ok((row.details as { added: { kid: string }[] }).added.some((k) => k.kid === newKid));
    });
  });
}
