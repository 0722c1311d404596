import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { authorizeWithoutBrowser, clientConfig, CookieJar, request } from './helpers/browserless-login.js';
import { testEngines } from './helpers/test-database.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const AFTER_LOGOUT = 'http://127.0.0.1:9/signed-out';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

for (const engine of testEngines()) {
  describe(`POST at /auth and /session/end on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;
    let app: { clientId: string; secret: string };

    before(async () => {
      as = await startAuthServer(engine);
      await as.createUser('poster@example.com', 'student');
      const created = await as.createClient({
        name: 'Posting App',
        grant: 'authorization_code',
        redirectUris: [REDIRECT],
        postLogoutRedirectUris: [AFTER_LOGOUT],
      });
      app = { clientId: created.client.client_id, secret: created.secret! };
    });
    after(() => as?.stop());

    /** The certification module oidcc-ensure-post-request-succeeds: the authorization request as a form POST, login, code exchange. */
    async function loginByPost(jar = new CookieJar()) {
      const config = await clientConfig(as.issuer, app.clientId, app.secret);
      const flow = await authorizeWithoutBrowser(as.issuer, {
        clientId: app.clientId,
        redirectUri: REDIRECT,
        email: 'poster@example.com',
        password: PASSWORD,
        scope: 'openid email',
        method: 'POST',
        jar,
      });
      const tokens = await oidc.authorizationCodeGrant(config, flow.callback, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
      return { config, flow, tokens, jar };
    }

    it('oidcc-ensure-post-request-succeeds: a form POST to /auth signs in and its code is exchanged by openid-client', async () => {
      const { flow, tokens } = await loginByPost();
      assert.deepEqual(flow.pages, ['login', 'consent']);
      const claims = tokens.claims()!;
      assert.equal(claims.iss, as.issuer);
      assert.equal(claims.aud, app.clientId);
      assert.equal(claims.nonce, flow.nonce);
      assert.equal(claims.email, 'poster@example.com');
      assert.ok(tokens.access_token);
    });

    it('a POST without the sign-in cookie (as from an app on another site) is sent on as the same GET, where the browser sends its Lax cookie', async () => {
      const params = { client_id: app.clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 'st-1', login_hint: 'a b+c&d#e' };
      for (const path of ['/auth', '/session/end']) {
        const response = await fetch(`${as.issuer}${path}`, { method: 'POST', redirect: 'manual', headers: FORM, body: new URLSearchParams(params) });
        assert.equal(response.status, 303, path);
        const location = new URL(response.headers.get('location')!, as.issuer);
        assert.equal(`${location.origin}${location.pathname}`, `${as.issuer}${path}`);
        assert.deepEqual(Object.fromEntries(location.searchParams), params, 'the same parameters, none lost or changed');
      }
    });

    it('a POST /auth too long to redirect, or one carrying the sign-in cookie, is answered in place exactly as the GET (a protocol error goes back to the app)', async () => {
      const { jar } = await loginByPost();
      const noPkce = { client_id: app.clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 'st-2' };
      for (const [name, send] of [
        ['with the cookie', () => request(jar, `${as.issuer}/auth`, { method: 'POST', headers: FORM, body: new URLSearchParams(noPkce).toString() })],
        [
          'long, without the cookie',
          () =>
            fetch(`${as.issuer}/auth`, {
              method: 'POST',
              redirect: 'manual',
              headers: FORM,
              body: new URLSearchParams({ ...noPkce, x_padding: 'p'.repeat(9000) }),
            }),
        ],
      ] as const) {
        const response = await send();
        assert.equal(response.status, 303, name);
        const location = new URL(response.headers.get('location')!);
        assert.equal(`${location.origin}${location.pathname}`, REDIRECT, name);
        assert.equal(location.searchParams.get('error'), 'invalid_request', `${name}: no PKCE is refused, also by POST`);
        assert.equal(location.searchParams.get('state'), 'st-2');
      }
    });

    it('POST /auth with a JSON body is an error page, not a 404', async () => {
      const response = await fetch(`${as.issuer}/auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/html' },
        body: JSON.stringify({ client_id: app.clientId }),
      });
      assert.equal(response.status, 400);
      const html = await response.text();
      assert.match(html, /<title>Error: /);
      assert.match(html, /application\/x-www-form-urlencoded/);
    });

    it('a form POST to /session/end asks to confirm, signs out and returns to the app with its state', async () => {
      const { tokens, jar } = await loginByPost();
      const silentBefore = await authorizeWithoutBrowser(as.issuer, {
        clientId: app.clientId,
        redirectUri: REDIRECT,
        email: 'poster@example.com',
        password: PASSWORD,
        jar,
        scope: 'openid email',
        params: { prompt: 'none' },
      });
      assert.ok(silentBefore.callback.searchParams.get('code'), 'signed in: a silent request gets a code');
      const asked = await request(jar, `${as.issuer}/session/end`, {
        method: 'POST',
        headers: FORM,
        body: new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: AFTER_LOGOUT, state: 'bye-1' }).toString(),
      });
      assert.equal(asked.status, 200, 'with the sign-in cookie: answered in place');
      const page = await asked.text();
      assert.match(page, /Do you want to sign out/);
      assert.match(page, /Posting App/, 'the page names the app the id_token_hint was issued to');
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1];
      assert.ok(xsrf, 'the confirmation form');
      const confirmed = await request(jar, `${as.issuer}/session/end/confirm`, {
        method: 'POST',
        headers: FORM,
        body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
      });
      assert.equal(confirmed.status, 303);
      const back = new URL(confirmed.headers.get('location')!);
      assert.equal(`${back.origin}${back.pathname}`, AFTER_LOGOUT);
      assert.equal(back.searchParams.get('state'), 'bye-1');

      // signed out: a silent authorization request with the same browser now needs a login
      const silent = await authorizeWithoutBrowser(as.issuer, {
        clientId: app.clientId,
        redirectUri: REDIRECT,
        email: 'poster@example.com',
        password: PASSWORD,
        jar,
        scope: 'openid email',
        params: { prompt: 'none' },
      }).catch((error: Error) => error);
      assert.ok(!(silent instanceof Error), String(silent));
      assert.equal(silent.callback.searchParams.get('error'), 'login_required');
    });
  });
}
