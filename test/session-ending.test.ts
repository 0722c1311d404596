import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { CookieJar, authorizeWithoutBrowser, clientConfig, request } from './helpers/browserless-login.js';
import { jsonApi } from './helpers/json-api.js';
import { testEngines } from './helpers/test-database.js';

const REDIRECT = 'http://127.0.0.1:9/callback';

/**
 * Ending a user's sessions ends their browser sign-ins too (oidc-provider's Session behind `_session`), not
 * only grants and refresh tokens: afterwards the old cookie gets no code without the password.
 */
for (const engine of testEngines()) {
  describe(`ending sessions ends browser sign-ins on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;
    let clientId: string;
    let api: ReturnType<typeof jsonApi>;
    let adminToken: string;

    before(async () => {
      as = await startAuthServer(engine);
      api = jsonApi(`${as.issuer}/api`);
      const { client } = await as.createClient({ name: 'Session App', grant: 'authorization_code', redirectUris: [REDIRECT], public: true, firstParty: true });
      clientId = client.client_id;
      await as.createUser('admin@example.com', 'admin');
      adminToken = (await api('POST', '/auth/login', { email: 'admin@example.com', password: PASSWORD })).body.access_token;
    });
    after(() => as?.stop());

    /** A browser that signed in through our pages; its cookie jar and the flow's result. */
    async function browserSignIn(email: string) {
      const jar = new CookieJar();
      const flow = await authorizeWithoutBrowser(as.issuer, { clientId, redirectUri: REDIRECT, email, password: PASSWORD, jar });
      assert.equal(await silentAuthorize(jar), 'code', 'the browser sign-in gives codes without a password');
      return { jar, flow };
    }

    /** prompt=none: 'code' while the browser is signed in, else the error (login_required). */
    async function silentAuthorize(jar: CookieJar): Promise<string> {
      const verifier = oidc.randomPKCECodeVerifier();
      const url = new URL('/auth', as.issuer);
      url.search = new URLSearchParams({
        client_id: clientId,
        redirect_uri: REDIRECT,
        response_type: 'code',
        scope: 'openid',
        prompt: 'none',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      }).toString();
      let response = await request(jar, url.href);
      for (let hop = 0; hop < 5; hop++) {
        const location = new URL(response.headers.get('location') ?? '', as.issuer);
        if (location.href.startsWith(REDIRECT)) return location.searchParams.has('code') ? 'code' : String(location.searchParams.get('error'));
        response = await request(jar, location.href);
      }
      throw new Error(`no answer at the redirect URI: ${response.status}`);
    }

    it('a password change from another session ends the browser sign-in: the old _session cookie gets no code', async () => {
      const user = 'changer@example.com';
      await as.createUser(user);
      const { jar } = await browserSignIn(user);
      const apiToken = (await api('POST', '/auth/login', { email: user, password: PASSWORD })).body.access_token;
      const changed = await api('PUT', '/auth/change-password', { current_password: PASSWORD, new_password: 'NewSecret456' }, apiToken);
      assert.equal(changed.status, 200);
      assert.equal(await silentAuthorize(jar), 'login_required');
      const afresh = await authorizeWithoutBrowser(as.issuer, { clientId, redirectUri: REDIRECT, email: user, password: 'NewSecret456', jar });
      assert.equal(afresh.pages[0], 'login', 'the next sign-in asks for the (new) password');
    });

    it('a password change keeps the sign-in it was made from (its browser sign-in too) and ends every other', async () => {
      const user = 'keeper@example.com';
      await as.createUser(user);
      const here = await browserSignIn(user);
      const elsewhere = await browserSignIn(user);
      const tokens = await oidc.authorizationCodeGrant(await clientConfig(as.issuer, clientId), here.flow.callback, {
        pkceCodeVerifier: here.flow.codeVerifier,
        expectedState: here.flow.state,
        expectedNonce: here.flow.nonce,
      });
      const changed = await api('PUT', '/auth/change-password', { current_password: PASSWORD, new_password: 'NewSecret456' }, tokens.access_token);
      assert.equal(changed.status, 200);
      assert.equal(await silentAuthorize(here.jar), 'code', 'the browser the user changed it from stays signed in');
      assert.equal(await silentAuthorize(elsewhere.jar), 'login_required', 'every other browser signs in again');
    });

    it("an admin ending a user's sessions, or disabling the user, ends their browser sign-ins", async () => {
      for (const [user, end] of [
        ['ended@example.com', (id: string) => api('DELETE', `/admin/users/${id}/sessions`, undefined, adminToken)],
        ['disabled@example.com', (id: string) => api('PATCH', `/admin/users/${id}`, { is_active: false }, adminToken)],
      ] as const) {
        const { id } = await as.createUser(user);
        const { jar } = await browserSignIn(user);
        assert.equal((await end(id)).status, 200);
        assert.equal(await silentAuthorize(jar), 'login_required', user);
      }
    });

    it("logging out one session ends the browser sign-in it came from, and no other user's", async () => {
      const user = 'leaver@example.com';
      await as.createUser(user);
      const bystander = await browserSignIn('admin@example.com');
      const { jar, flow } = await browserSignIn(user);
      const tokens = await oidc.authorizationCodeGrant(await clientConfig(as.issuer, clientId), flow.callback, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
      assert.equal((await api('POST', '/auth/logout', undefined, tokens.access_token)).status, 200);
      assert.equal(await silentAuthorize(jar), 'login_required');
      assert.equal(await silentAuthorize(bystander.jar), 'code');
    });
  });
}
