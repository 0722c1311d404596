import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI_CALLER } from '../src/rbac/caller.js';
import { deleteClient } from '../src/clients/clients-service.js';
import { freePort, PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { authorizeWithoutBrowser, CookieJar, csrfOf, request } from './helpers/browserless-login.js';
import { jsonApi } from './helpers/json-api.js';
import { startServer, type RunningServer } from './helpers/processes.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const PARALLEL_EACH = 4;

/**
 * Two auth-connect processes on one Postgres, as a deployment scales out behind one issuer name: same
 * DATABASE_URL and JWT_SECRET (so the same signing keys, from the database, and cookie keys), different ports. Nothing
 * that a request leaves behind may live in one process only.
 */
describe('two server processes on one Postgres', function () {
  this.timeout(120_000);
  let a: TestAuthServer;
  let b: RunningServer;
  let bDataDir: string;
  let app: { id: string; secret: string };
  let machine: { id: string; secret: string };

  before(async function () {
    if (!process.env.TEST_DATABASE_URL) {
      console.warn('    skipping the multi-process tests: they need Postgres (set TEST_DATABASE_URL)');
      this.skip();
    }
    a = await startAuthServer('postgres');
    bDataDir = mkdtempSync(path.join(tmpdir(), 'ac-data-b-'));
    // same issuer, database and secret as A; its own port and data directory
    b = await startServer({ ...a.env, PORT: String(await freePort()), DATA_DIR: bDataDir });
    await a.createUser('both@example.com', 'student');
    const web = await a.createClient({ name: 'Scaled App', grant: 'authorization_code', redirectUris: [REDIRECT] });
    app = { id: web.client.client_id, secret: web.secret! };
    const cc = await a.createClient({ name: 'Scaled Machine', grant: 'client_credentials', permissions: ['read'] });
    machine = { id: cc.client.client_id, secret: cc.secret! };
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
    if (bDataDir) rmSync(bDataDir, { recursive: true, force: true });
  });

  const basic = (client: { id: string; secret: string }) => `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
  const token = (origin: string, params: Record<string, string>, client?: { id: string; secret: string }) =>
    fetch(`${origin}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(client ? { authorization: basic(client) } : {}) },
      body: new URLSearchParams(params),
    });
  const refresh = (origin: string, refreshToken: string) =>
    token(origin, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'auth-connect' });

  it('refreshes on B a token issued by A, and on A the one B issued; the used ones are dead on both', async () => {
    const login = await jsonApi(a.issuer)('POST', '/api/auth/login', { email: 'both@example.com', password: PASSWORD });
    assert.equal(login.status, 200);
    const onB = await refresh(b.url, login.body.refresh_token);
    assert.equal(onB.status, 200, await onB.clone().text());
    const fromB = (await onB.json()) as Record<string, string>;
    const onA = await refresh(a.issuer, fromB.refresh_token!);
    assert.equal(onA.status, 200, await onA.clone().text());
    // the access token B issued works on A (same keys), and A's on B
    const me = await jsonApi(a.issuer)('GET', '/api/auth/me', undefined, fromB.access_token);
    assert.equal(me.status, 200);
    assert.equal((await jsonApi(b.url)('GET', '/api/auth/me', undefined, login.body.access_token)).status, 200);
    // rotation is shared: the first token, used again on either process, is refused
    assert.equal((await refresh(a.issuer, login.body.refresh_token)).status, 400);
  });

  it(`redeems one authorization code exactly once when ${PARALLEL_EACH} requests hit each process at once`, async () => {
    for (let round = 0; round < 3; round++) {
      const flow = await authorizeWithoutBrowser(a.issuer, { clientId: app.id, redirectUri: REDIRECT, email: 'both@example.com', password: PASSWORD });
      const params = {
        grant_type: 'authorization_code',
        code: flow.callback.searchParams.get('code')!,
        redirect_uri: REDIRECT,
        code_verifier: flow.codeVerifier,
      };
      const responses = await Promise.all([a.issuer, b.url].flatMap((origin) => Array.from({ length: PARALLEL_EACH }, () => token(origin, params, app))));
      const statuses = responses.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses.join(', ')}`);
      assert.deepEqual(
        statuses.filter((s) => s !== 200 && s !== 400),
        [],
        `statuses: ${statuses.join(', ')}`,
      );
      for (const response of responses.filter((r) => r.status === 400)) assert.equal(((await response.json()) as { error: string }).error, 'invalid_grant');
    }
  });

  it('completes on B a login page started on A', async () => {
    const jar = new CookieJar();
    const onB = (location: string) => {
      // a load balancer may send any request to either process: everything after the first goes to B
      const url = new URL(location, a.issuer);
      return new URL(url.pathname + url.search, b.url).href;
    };
    const start = await authorizeUrl();
    let response = await request(jar, start.url); // on A
    const pages: string[] = [];
    let callback: URL | undefined;
    for (let step = 0; step < 10 && !callback; step++) {
      const location = response.headers.get('location');
      assert.ok(location, `expected a redirect, got ${response.status}`);
      if (location.startsWith(REDIRECT)) {
        callback = new URL(location);
        break;
      }
      const next = onB(location);
      response = await request(jar, next);
      if (response.status === 200 && new URL(next).pathname.startsWith('/interaction/')) {
        const html = await response.text();
        const login = html.includes('/login"');
        pages.push(login ? 'login' : 'consent');
        response = await request(jar, `${next}/${login ? 'login' : 'confirm'}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(login ? { csrf: csrfOf(html), email: 'both@example.com', password: PASSWORD } : { csrf: csrfOf(html) }).toString(),
        });
        assert.equal(response.status, 303, `the ${pages.at(-1)} form on B answered ${response.status}`);
      }
    }
    assert.ok(callback, 'the flow came back to the app');
    assert.equal(callback.searchParams.get('state'), start.state);
    assert.deepEqual(pages, ['login', 'consent']);
    const redeemed = await token(
      b.url,
      { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: start.verifier },
      app,
    );
    assert.equal(redeemed.status, 200, await redeemed.clone().text());
  });

  it('sees a client deleted and announced (LISTEN/NOTIFY) at once on both processes, whatever either cached', async () => {
    const cc = (origin: string) => token(origin, { grant_type: 'client_credentials' }, machine);
    // both processes have the client cached once their listener is up (it starts with the first lookup)
    for (const origin of [a.issuer, b.url]) for (let i = 0; i < 3; i++) assert.equal((await cc(origin)).status, 200);
    await deleteClient({ db: a.db.knex, roles: a.config.roles }, CLI_CALLER, machine.id, { via: 'cli' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal((await cc(a.issuer)).status, 401);
    assert.equal((await cc(b.url)).status, 401);
  });

  async function authorizeUrl() {
    const { randomPKCECodeVerifier, calculatePKCECodeChallenge, randomState } = await import('openid-client');
    const verifier = randomPKCECodeVerifier();
    const state = randomState();
    const url = new URL('/auth', a.issuer);
    url.search = new URLSearchParams({
      client_id: app.id,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid email',
      code_challenge: await calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    }).toString();
    return { url: url.toString(), verifier, state };
  }
});
