import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAccount } from '../../src/accounts/accounts-service.js';
import { createClient } from '../../src/clients/clients-service.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Database } from '../../src/db/open-database.js';
import { CLI_CALLER } from '../../src/rbac/caller.js';
import { freePort, PASSWORD } from '../helpers/auth-server.js';
import { configDirWith } from '../helpers/config-dir.js';
import { haproxyBinary, startHaproxy, type RunningHaproxy } from '../helpers/haproxy.js';
import { startServer, type RunningServer } from '../helpers/processes.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

const INSTANCES = ['a', 'b', 'c'] as const;
const CHAINS = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Outcome = 'ok' | 'unavailable' | 'failed';
interface Tally {
  ok: number;
  unavailable: number;
  failed: number;
  failures: string[];
}
interface Chain {
  email: string;
  first: string;
  refreshToken: string;
  accessToken: string;
  rotations: number;
  revoked: boolean;
}

/**
 * Three instances on one Postgres behind HAProxy, as the README's deployment notes describe, under a steady
 * mixed load (client credentials, refresh chains, API logins, userinfo): a rolling restart loses nothing,
 * a killed instance loses at most what was in flight to it, a database outage answers 503 with
 * Retry-After and heals by itself. Refresh chains must never be revoked nor hand out a token twice.
 */
describe('three instances behind HAProxy', function () {
  this.timeout(120_000);
  const binary = haproxyBinary();
  let testDb: TestDatabase;
  let db: Database;
  let dbProxy: TcpProxy;
  let haproxy: RunningHaproxy;
  const servers = new Map<string, RunningServer>();
  const ports = new Map<string, number>();
  const temporaryDirs: string[] = [];
  let env: Record<string, string>;
  let machine: { id: string; secret: string };
  const chains: Chain[] = [];
  const issuedRefreshTokens = new Set<string>();
  const tallies = new Map<string, Tally>();
  let phase = 'setup';

  before(async function () {
    if (!process.env.TEST_DATABASE_URL) {
      console.warn('    skipping the HAProxy tests: they need Postgres (set TEST_DATABASE_URL)');
      this.skip();
    }
    if (!binary) {
      console.warn('    skipping the HAProxy tests: haproxy is not installed (apt-get install haproxy)');
      this.skip();
    }
    testDb = await createTestDatabase('postgres');
    const target = new URL(testDb.env.DATABASE_URL!);
    dbProxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await dbProxy.start();
    const viaProxy = new URL(target);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(dbProxy.port);
    const configDir = configDirWith({ auth_config: { rate_limit: { login_per_minute: 100_000, register_per_minute: 10, user_code_per_minute: 10 } } });
    temporaryDirs.push(configDir);
    const frontendPort = await freePort();
    env = {
      DATABASE_URL: viaProxy.toString(),
      CONFIG_DIR: configDir,
      ISSUER: `http://127.0.0.1:${frontendPort}`,
      JWT_SECRET: 'test-secret-that-is-long-enough-for-auth-connect',
      SHUTDOWN_DRAIN_SECONDS: '1',
    };
    for (const name of INSTANCES) ports.set(name, await freePort());
    // the first one creates the signing keys; the others find them
    await startInstance('a');
    await Promise.all([startInstance('b'), startInstance('c')]);
    haproxy = await startHaproxyOn(frontendPort);
    for (const name of INSTANCES) await haproxy.untilState(name, 'UP');
    retriedBefore = await haproxy.retried();

    db = await testDb.openBeside();
    const config = loadConfig({ ...env });
    const cc = await createClient(
      { db: db.knex, roles: config.roles },
      CLI_CALLER,
      { name: 'HA Machine', grant: 'client_credentials', permissions: ['read'] },
      { via: 'cli' },
    );
    machine = { id: cc.client.client_id, secret: cc.secret! };
    // one user per chain and one for the login loop: max_sessions_per_user must not evict a chain's session
    for (const email of ['logins@example.com', ...Array.from({ length: CHAINS }, (_, i) => `chain${i}@example.com`)]) {
      await createAccount({ db: db.knex, config }, { email, password: PASSWORD, role: 'student' });
    }
    for (let i = 0; i < CHAINS; i++) {
      const login = await apiLogin(`chain${i}@example.com`);
      assert.equal(login.status, 200);
      const body = (await login.json()) as { refresh_token: string; access_token: string };
      issuedRefreshTokens.add(body.refresh_token);
      chains.push({
        email: `chain${i}@example.com`,
        first: body.refresh_token,
        refreshToken: body.refresh_token,
        accessToken: body.access_token,
        rotations: 0,
        revoked: false,
      });
    }
  });

  after(async () => {
    await haproxy?.stop();
    await Promise.all([...servers.values()].map((server) => server.stop('SIGKILL')));
    await db?.close();
    await dbProxy?.cut();
    await testDb?.drop();
    for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
  });

  async function startInstance(name: string) {
    const dataDir = mkdtempSync(path.join(tmpdir(), `ac-ha-${name}-`));
    temporaryDirs.push(dataDir);
    servers.set(name, await startServer({ ...env, PORT: String(ports.get(name)), DATA_DIR: dataDir, LOG_LEVEL: 'info' }));
  }

  // the frontend port was chosen before the instances started: their ISSUER names it
  const startHaproxyOn = (frontendPort: number) =>
    startHaproxy(
      binary!,
      INSTANCES.map((name) => ({ name, port: ports.get(name)! })),
      frontendPort,
    );

  const basic = () => `Basic ${Buffer.from(`${machine.id}:${machine.secret}`).toString('base64')}`;
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const apiLogin = (email: string) =>
    fetch(`${haproxy.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });

  function tally(): Tally {
    if (!tallies.has(phase)) tallies.set(phase, { ok: 0, unavailable: 0, failed: 0, failures: [] });
    return tallies.get(phase)!;
  }

  /** One request of the load: 200 is ok; 503 with Retry-After is the honest answer during a database outage; anything else fails. */
  async function record(kind: string, send: () => Promise<Response>): Promise<{ outcome: Outcome; body?: Record<string, string>; text?: string }> {
    const t = tally();
    try {
      const response = await send();
      const text = await response.text();
      if (response.status === 200) {
        t.ok++;
        return { outcome: 'ok', body: text ? (JSON.parse(text) as Record<string, string>) : {} };
      }
      if (response.status === 503 && Number(response.headers.get('retry-after')) >= 1) {
        t.unavailable++;
        return { outcome: 'unavailable' };
      }
      t.failed++;
      t.failures.push(`${kind}: ${response.status} ${text.slice(0, 120)}`);
      return { outcome: 'failed', text };
    } catch (error) {
      t.failed++;
      t.failures.push(`${kind}: ${(error as Error).message} ${String((error as { cause?: unknown }).cause ?? '')}`);
      return { outcome: 'failed' };
    }
  }

  /** A few concurrent loops until `running` says stop; each waits a little between requests (2 cores are shared). */
  function load(): { stop: () => Promise<void>; lastOk: Map<string, number> } {
    let running = true;
    const lastOk = new Map<string, number>();
    const loop = async (name: string, step: () => Promise<Outcome>, pauseMs: number) => {
      for (let i = 0; running && i < 5_000; i++) {
        if ((await step()) === 'ok') lastOk.set(name, Date.now());
        await sleep(pauseMs);
      }
    };
    const loops = [
      loop(
        'client credentials',
        async () =>
          (
            await record('client_credentials', () =>
              fetch(`${haproxy.url}/token`, { method: 'POST', headers: { ...form, authorization: basic() }, body: 'grant_type=client_credentials' }),
            )
          ).outcome,
        50,
      ),
      loop('login', async () => (await record('login', () => apiLogin('logins@example.com'))).outcome, 200),
      ...chains.map((chain, i) =>
        loop(
          `chain ${i}`,
          async () => {
            const answer = await record('refresh', () =>
              fetch(`${haproxy.url}/token`, {
                method: 'POST',
                headers: form,
                body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: chain.refreshToken, client_id: 'auth-connect' }),
              }),
            );
            if (answer.outcome === 'ok') {
              const next = answer.body!.refresh_token!;
              assert.ok(!issuedRefreshTokens.has(next), `chain ${i}: a refresh token handed out twice`);
              issuedRefreshTokens.add(next);
              Object.assign(chain, { refreshToken: next, accessToken: answer.body!.access_token!, rotations: chain.rotations + 1 });
            } else if (answer.text?.includes('invalid_grant')) {
              chain.revoked = true;
            }
            // a failed or unavailable refresh keeps the old token: the retry window gives back the same successor
            if (answer.outcome !== 'ok') return answer.outcome;
            return (await record('userinfo', () => fetch(`${haproxy.url}/me`, { headers: { authorization: `Bearer ${chain.accessToken}` } }))).outcome;
          },
          60,
        ),
      ),
    ];
    return {
      lastOk,
      stop: async () => {
        running = false;
        await Promise.all(loops);
      },
    };
  }

  let retriedBefore = { retries: 0, redispatches: 0 };
  async function report(name: string): Promise<Tally> {
    const t = tally();
    const retried = await haproxy.retried();
    console.log(
      `      ${name}: ${t.ok} ok, ${t.unavailable} answered 503 with Retry-After, ${t.failed} failed${t.failures.length ? ` (${t.failures.slice(0, 5).join('; ')})` : ''}; ` +
        `HAProxy retried ${retried.retries - retriedBefore.retries} (redispatched ${retried.redispatches - retriedBefore.redispatches}); chains alive ${chains.filter((c) => !c.revoked).length}/${chains.length}`,
    );
    retriedBefore = retried;
    return t;
  }

  it('(a) restarts every instance in turn under load without a single failed request', async () => {
    phase = 'rolling restart';
    const traffic = load();
    await sleep(500);
    for (const name of INSTANCES) {
      const t0 = Date.now();
      const { process: child, url } = servers.get(name)!;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      // the signal reaches the process's event loop a moment after kill() returns: ask until it answers so
      let readiness = await fetch(`${url}/readyz`);
      for (let i = 0; i < 10 && readiness.status === 200; i++) readiness = await sleep(20).then(() => fetch(`${url}/readyz`));
      assert.deepEqual([readiness.status, await readiness.json()], [503, { status: 'draining' }], `${name} says so at once, still serving`);
      assert.deepEqual(await exited, [0, null], `${name} exits 0 after its drain`);
      const t1 = Date.now();
      await startInstance(name);
      const t2 = Date.now();
      await haproxy.untilState(name, 'UP');
      console.log(`      ${name}: stopped in ${t1 - t0} ms, started in ${t2 - t1} ms, up in HAProxy ${Date.now() - t2} ms`);
      await sleep(300);
    }
    await traffic.stop();
    const t = await report('(a) rolling restart');
    assert.ok(t.ok > 50, 'the load ran');
    assert.deepEqual(t.failures, []);
    assert.deepEqual(
      chains.map((c) => c.revoked),
      chains.map(() => false),
    );
  });

  it('(b) kill -9 of one instance fails at most what was in flight to it; every chain lives on', async () => {
    phase = 'kill -9';
    const traffic = load();
    await sleep(700);
    const killed = servers.get('b')!;
    assert.notEqual(await killed.stop('SIGKILL'), 0);
    await haproxy.untilState('b', 'DOWN');
    await sleep(1_000);
    await traffic.stop();
    const t = await report('(b) kill -9');
    assert.ok(t.ok > 30, 'the others kept serving');
    // in flight to it at the kill: a handful at most (five loops, one request each); HAProxy retries those it can
    assert.ok(t.failed <= chains.length + 2, `failed: ${t.failures.join('; ')}`);
    assert.deepEqual(
      chains.map((c) => c.revoked),
      chains.map(() => false),
    );
    // b stays down: the outage below runs on the other two (a restart here would cost seconds of a shared CPU)
    servers.delete('b');
  });

  it('(c) survives a 5 s database outage: 503 with Retry-After meanwhile, full service within 10 s after, no token lost or duplicated', async () => {
    phase = 'database outage';
    assert.deepEqual([...servers.keys()].sort(), ['a', 'c'], 'the two instances (b) left running');
    const traffic = load();
    await sleep(500);
    await dbProxy.cut();
    await sleep(5_000);
    await dbProxy.restore();
    const restored = Date.now();
    const loops = 2 + chains.length;
    while (Date.now() - restored < 10_000 && [...traffic.lastOk.values()].filter((at) => at > restored).length < loops) await sleep(100);
    const recoveredMs = Date.now() - restored;
    await sleep(500);
    await traffic.stop();
    const t = await report('(c) database outage');
    console.log(`      (c) every loop served again ${recoveredMs} ms after the database came back`);
    for (const [name, server] of servers) assert.equal(server.process.exitCode, null, `${name} still running`);
    assert.ok(t.unavailable > 0, 'the outage was seen, as 503 with Retry-After');
    assert.deepEqual(t.failures, []);
    assert.ok(recoveredMs < 10_000, `full service again within 10 s (took ${recoveredMs} ms)`);
    assert.deepEqual(
      chains.map((c) => c.revoked),
      chains.map(() => false),
    );
  });

  it('every chain still refreshes once more, and its first token, long used, is refused', async () => {
    for (const chain of chains) {
      const response = await fetch(`${haproxy.url}/token`, {
        method: 'POST',
        headers: form,
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: chain.refreshToken, client_id: 'auth-connect' }),
      });
      assert.equal(response.status, 200, await response.clone().text());
    }
    console.log(
      `      refresh chains: ${chains.map((c) => c.rotations).join(', ')} rotations, ${issuedRefreshTokens.size} distinct refresh tokens handed out, none twice`,
    );
    // a token whose successor has been used is past its retry window, whatever the clock says
    const replay = await fetch(`${haproxy.url}/token`, {
      method: 'POST',
      headers: form,
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: chains[0]!.first, client_id: 'auth-connect' }),
    });
    assert.equal(replay.status, 400);
  });
});
