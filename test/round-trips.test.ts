import assert from 'node:assert/strict';
import { PASSWORD } from './helpers/auth-server.js';
import { authorizeWithoutBrowser } from './helpers/browserless-login.js';
import { EMBEDDED_PROBE_SECONDS, startCountedServer, type CountedServer, type Measured } from './helpers/counted-server.js';
import { testEngines } from './helpers/test-database.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const REPEAT = 3;

/**
 * Database round trips per grant, counted from outside the server: a preload wraps node-postgres in the
 * server process (helpers/query-counter.ts), and on Postgres the wire is counted too (Query and Sync
 * messages through a proxy, helpers/pg-wire-counter.ts) and must agree. A change that adds a query to a
 * grant fails here; if it is meant, update the count and the list beside it. `npm run bench` reports the
 * same numbers under "Postgres cost per request".
 */
for (const engine of testEngines()) {
  describe(`database round trips per grant on ${engine}`, function () {
    this.timeout(120_000);
    let cs: CountedServer;
    let machine: { id: string; secret: string };
    let app: { id: string; secret: string };
    // Registered clients are cached on Postgres, where LISTEN/NOTIFY announces their changes to every
    // instance (src/clients/client-cache.ts); the embedded database cannot deliver those, so it reads the
    // clients table on every lookup. The built-in account API client is static: never read.
    const clientRead = engine === 'postgres' ? 0 : 1;

    before(async () => {
      cs = await startCountedServer(engine);
      // one user per grant, so no session limit (max_sessions_per_user = 5) is reached while counting
      for (const who of ['code', 'refresh', 'retry', 'login']) await cs.createUser(`${who}@example.com`, 'student');
      const cc = await cs.createClient({ name: 'Counting Machine', grant: 'client_credentials', permissions: ['read'] });
      machine = { id: cc.client.client_id, secret: cc.secret! };
      const web = await cs.createClient({ name: 'Counting App', grant: 'authorization_code', redirectUris: [REDIRECT], firstParty: true });
      app = { id: web.client.client_id, secret: web.secret! };
      // first use opens pool connections and fills the provider's client instance cache: not what a grant costs
      await clientCredentials();
      await redeem(await newCode());
      await login();
      // background work must not land in a measurement: the counted server's first cleanup of expired rows runs an
      // hour after start (background_work.first_cleanup_seconds), and on the embedded database the client cache's
      // probe (LISTEN, then pg_notify from the pool, both sent at the first lookup and so done before the warm-up's
      // later statements on the one embedded connection) finds within EMBEDDED_PROBE_SECONDS of them that
      // notifications do not reach it, and stops listening (UNLISTEN)
      if (engine === 'embedded') await new Promise((resolve) => setTimeout(resolve, EMBEDDED_PROBE_SECONDS * 1000 + 250));
      if (engine === 'postgres') {
        // the client cache starts listening at the first lookup; wait until a lookup is served from it
        const deadline = Date.now() + 10_000;
        while ((await cs.measure(clientCredentials)).queries.count !== 0) {
          assert.ok(Date.now() < deadline, 'the client cache did not start serving within 10 s');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    });
    after(() => cs?.stop());

    const basic = (client: { id: string; secret: string }) => `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
    async function token(params: Record<string, string>, client?: { id: string; secret: string }) {
      const response = await fetch(`${cs.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(client ? { authorization: basic(client) } : {}) },
        body: new URLSearchParams(params),
      });
      const body = (await response.json()) as Record<string, string>;
      assert.equal(response.status, 200, JSON.stringify(body));
      return body;
    }
    const clientCredentials = () => token({ grant_type: 'client_credentials' }, machine);
    async function newCode() {
      // a fresh browser each time: a new login, grant and session
      const flow = await authorizeWithoutBrowser(cs.issuer, { clientId: app.id, redirectUri: REDIRECT, email: 'code@example.com', password: PASSWORD });
      return { code: flow.callback.searchParams.get('code')!, verifier: flow.codeVerifier };
    }
    const redeem = (code: { code: string; verifier: string }) =>
      token({ grant_type: 'authorization_code', code: code.code, redirect_uri: REDIRECT, code_verifier: code.verifier }, app);
    async function login(email = 'login@example.com') {
      const response = await fetch(`${cs.issuer}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      const body = (await response.json()) as Record<string, string>;
      assert.equal(response.status, 200, JSON.stringify(body));
      return body;
    }

    /** Measures `action` REPEAT times; every time must cost exactly `expected` round trips. */
    async function expectRoundTrips(what: string, expected: number, action: () => Promise<unknown>) {
      for (let i = 0; i < REPEAT; i++) {
        const measured: Measured = await cs.measure(action);
        const list = measured.queries.statements.map((s, n) => `  ${n + 1}. ${s}`).join('\n');
        assert.equal(measured.queries.count, expected, `${what} made ${measured.queries.count} round trips, expected ${expected}:\n${list}`);
        if (measured.wire !== undefined)
          assert.equal(
            measured.wire,
            measured.queries.count,
            `${what}: the wire shows ${measured.wire} round trips, the query counter ${measured.queries.count}:\n${list}`,
          );
      }
    }

    it(`client_credentials: ${clientRead}`, async () => {
      // (embedded only) select * from clients where client_id = ?   -- the client's metadata and secret hash
      await expectRoundTrips('client_credentials', clientRead, clientCredentials);
    });

    it(`authorization_code: ${clientRead + 3}`, async () => {
      const codes: { code: string; verifier: string }[] = [];
      for (let i = 0; i < REPEAT; i++) codes.push(await newCode());
      await expectRoundTrips('authorization_code', clientRead + 3, () => redeem(codes.shift()!));
      // (embedded only) select clients                                   -- the client
      // 1. select the code with its grant and its user                     -- everything the checks read
      // 2. with consumed as (update oidc_payloads … where consumed_at is null),
      //    started as (insert into user_sessions … where exists (consumed)), ended as (… beyond max_sessions_per_user)
      //                                                                    -- redeem exactly once; the login's session
      // 3. insert into oidc_payloads (RefreshToken)                        -- the new refresh token
    });

    it('refresh_token with rotation: 2', async () => {
      let refreshToken = (await login('refresh@example.com')).refresh_token!;
      await expectRoundTrips('refresh_token', 2, async () => {
        refreshToken = (await token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'auth-connect' })).refresh_token!;
      });
      // 1. select the token with its grant, its user and its active session      -- everything the checks read
      // 2. with touched as (update user_sessions …), consumed as (update oidc_payloads … where consumed_at is null)
      //    insert into oidc_payloads (RefreshToken) … where exists (consumed)       -- rotate exactly once, in one statement
    });

    it('a retried refresh (a just-rotated token presented again, within the window): 2', async () => {
      const refresh = (refreshToken: string) => token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'auth-connect' });
      const rotated: string[] = [];
      for (let i = 0; i < REPEAT; i++) {
        const first = (await login('retry@example.com')).refresh_token!;
        await refresh(first);
        rotated.push(first);
      }
      await expectRoundTrips('retried refresh_token', 2, () => refresh(rotated.shift()!));
      // 1. select the token (consumed within the window, its successor unused), grant, user, session
      // 2. with touched as (update user_sessions …) select whether the successor is still unused
    });

    // The per-address limit of POST /api/auth/login counts in Postgres (one upsert, shared by every
    // instance) and in memory on the embedded database (one process owns it): src/http/rate-limiters.ts.
    const rateLimitCheck = engine === 'postgres' ? 1 : 0;
    it(`password login (POST /api/auth/login): ${rateLimitCheck + 2}`, async () => {
      await expectRoundTrips('login', rateLimitCheck + 2, () => login());
      // (Postgres only) insert into rate_limits … on conflict (key) do update  -- the address's request count this minute
      // 1. with taken as (select login_throttle_take(…)) select … left join lateral (the user by email, with
      //    whether they have an authenticator app, passkeys, recovery codes)  -- a guess from the account's and the
      //                                                                           address's buckets, and the account (then one argon2 verify)
      // 2. with … (one statement, src/db/deferred-writes.ts): the last login, the throttle token given back, the
      //    audit row, the grant, the session (ending those beyond max_sessions_per_user) and the refresh token
    });
  });
}
