import assert from 'node:assert/strict';
import { PASSWORD } from './helpers/auth-server.js';
import { authorizeWithoutBrowser } from './helpers/browserless-login.js';
import { startCountedServer, type CountedServer, type Measured } from './helpers/counted-server.js';
import { testEngines } from './helpers/test-database.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const REPEAT = 3;

/**
 * Database round trips per grant, counted from outside the server (test/helpers/query-counter.ts; on
 * Postgres also on the wire). A change that adds a query to a grant shows here; if it is meant, update
 * the count and the list of statements beside it. `npm run bench` reports the same numbers.
 */
for (const engine of testEngines()) {
  describe(`database round trips per grant on ${engine}`, function () {
    this.timeout(120_000);
    let cs: CountedServer;
    let machine: { id: string; secret: string };
    let app: { id: string; secret: string };

    before(async () => {
      cs = await startCountedServer(engine);
      await cs.createUser('trips@example.com', 'student');
      const cc = await cs.createClient({ name: 'Counting Machine', grant: 'client_credentials', permissions: ['read'] });
      machine = { id: cc.client.client_id, secret: cc.secret! };
      const web = await cs.createClient({ name: 'Counting App', grant: 'authorization_code', redirectUris: [REDIRECT], firstParty: true });
      app = { id: web.client.client_id, secret: web.secret! };
      // first use opens pool connections and fills oidc-provider's client cache: not what a grant costs
      await clientCredentials();
      await redeem(await newCode());
      await login();
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
      const flow = await authorizeWithoutBrowser(cs.issuer, { clientId: app.id, redirectUri: REDIRECT, email: 'trips@example.com', password: PASSWORD, params: { prompt: 'login' } });
      return { code: flow.callback.searchParams.get('code')!, verifier: flow.codeVerifier };
    }
    const redeem = (code: { code: string; verifier: string }) =>
      token({ grant_type: 'authorization_code', code: code.code, redirect_uri: REDIRECT, code_verifier: code.verifier }, app);
    async function login() {
      const response = await fetch(`${cs.issuer}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'trips@example.com', password: PASSWORD }) });
      const body = (await response.json()) as Record<string, string>;
      assert.equal(response.status, 200, JSON.stringify(body));
      return body;
    }

    /** Measures `action` REPEAT times; every time must cost exactly `expected` round trips. */
    async function expectRoundTrips(what: string, expected: number, action: () => Promise<unknown>) {
      for (let i = 0; i < REPEAT; i++) {
        const measured: Measured = await cs.measure(action);
        const list = measured.queries.statements.map((s, n) => `  ${n + 1}. ${s}`).join('\n');
        console.log(`${what}: ${measured.queries.count} (wire ${measured.wire})\n${list}`);
        assert.equal(measured.queries.count, expected, `${what} made ${measured.queries.count} round trips, expected ${expected}:\n${list}`);
        if (measured.wire !== undefined) assert.equal(measured.wire, measured.queries.count, `${what}: the wire shows ${measured.wire} round trips, the query counter ${measured.queries.count}`);
      }
    }

    it('client_credentials', async () => {
      await expectRoundTrips('client_credentials', 1, clientCredentials);
    });

    it('authorization_code', async () => {
      const codes: { code: string; verifier: string }[] = [];
      for (let i = 0; i < REPEAT; i++) codes.push(await newCode());
      await expectRoundTrips('authorization_code', 8, () => redeem(codes.shift()!));
    });

    it('refresh_token with rotation', async () => {
      let refreshToken = (await login()).refresh_token!;
      await expectRoundTrips('refresh_token', 5, async () => {
        refreshToken = (await token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'auth-connect' })).refresh_token!;
      });
    });

    it('password login (POST /api/auth/login)', async () => {
      await expectRoundTrips('login', 7, login);
    });
  });
}
