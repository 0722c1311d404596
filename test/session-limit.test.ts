import assert from 'node:assert/strict';
import { PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { authorizeWithoutBrowser } from './helpers/browserless-login.js';
import { configDirWith } from './helpers/config-dir.js';
import { jsonApi } from './helpers/json-api.js';
import { testEngines } from './helpers/test-database.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const LIMIT = 2;

/**
 * session.max_sessions_per_user: a login beyond the limit ends the user's oldest sessions, with their refresh
 * tokens, in the same statement that starts the new one — for a password login and for a code redemption.
 */
for (const engine of testEngines()) {
  describe(`at most ${LIMIT} sessions per user on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;
    let api: ReturnType<typeof jsonApi>;
    let app: { id: string; secret: string };

    before(async () => {
      as = await startAuthServer(engine, { CONFIG_DIR: configDirWith({ auth_config: { session: { max_sessions_per_user: LIMIT } } }) });
      api = jsonApi(`${as.issuer}/api`);
      const created = await as.createClient({ name: 'Limited App', grant: 'authorization_code', redirectUris: [REDIRECT], firstParty: true });
      app = { id: created.client.client_id, secret: created.secret! };
    });
    after(() => as?.stop());

    const login = async (email: string) => {
      const answer = await api('POST', '/auth/login', { email, password: PASSWORD });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.refresh_token as string;
    };
    const codeLogin = async (email: string) => {
      const flow = await authorizeWithoutBrowser(as.issuer, { clientId: app.id, redirectUri: REDIRECT, email, password: PASSWORD });
      const response = await fetch(`${as.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.id}:${app.secret}`).toString('base64')}` },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: flow.callback.searchParams.get('code')!,
          redirect_uri: REDIRECT,
          code_verifier: flow.codeVerifier,
        }),
      });
      const body = (await response.json()) as Record<string, string>;
      assert.equal(response.status, 200, JSON.stringify(body));
      return { token: body.refresh_token!, client: app };
    };
    /** The status of a refresh with the token, by the account API client or by the app. */
    const refreshes = async (token: string, client?: { id: string; secret: string }) => {
      const response = await fetch(`${as.issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(client ? { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` } : {}),
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, ...(client ? {} : { client_id: 'auth-connect' }) }),
      });
      await response.arrayBuffer();
      return response.status;
    };
    const liveSessions = async (email: string) => {
      const { rows } = await as.db.knex.raw<{ rows: { count: string }[] }>(
        'select count(*) from user_sessions s join users u on u.id = s.user_id where u.email = ? and s.revoked_at is null',
        [email],
      );
      return Number(rows[0]!.count);
    };

    it('a password login beyond the limit ends the oldest session: its refresh token stops working, audited', async () => {
      const email = 'password-logins@example.com';
      const user = await as.createUser(email);
      const [first, second, third] = [await login(email), await login(email), await login(email)];
      assert.equal(await refreshes(first), 400, 'the oldest session ended');
      assert.equal(await liveSessions(email), LIMIT);
      // rotating is itself no login: the two newest go on
      assert.equal(await refreshes(second), 200);
      assert.equal(await refreshes(third), 200);
      const { rows } = await as.db.knex.raw<{ rows: { details: { reason: string } }[] }>(
        "select details from audit_events where event = 'session.ended' and user_id = ?",
        [user.id],
      );
      assert.deepEqual(
        rows.map((r) => r.details.reason),
        ['session_limit'],
      );
    });

    it('a code redemption beyond the limit ends the oldest session, and only one', async () => {
      const email = 'code-logins@example.com';
      await as.createUser(email);
      const oldest = await login(email);
      const middle = await codeLogin(email);
      assert.equal(await liveSessions(email), LIMIT);
      const newest = await codeLogin(email);
      assert.equal(await liveSessions(email), LIMIT);
      assert.equal(await refreshes(oldest), 400, 'the oldest session ended');
      assert.equal(await refreshes(middle.token, middle.client), 200);
      assert.equal(await refreshes(newest.token, newest.client), 200);
    });
  });
}
