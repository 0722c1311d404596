import assert from 'node:assert/strict';
import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import * as oidc from 'openid-client';
import { startApi, type RunningApi } from '../examples/api/app.js';
import { PASSWORD, PERMISSIONS, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { authorizeWithoutBrowser, clientConfig, CookieJar, request } from './helpers/browserless-login.js';
import { REDIRECT } from './helpers/token-flows.js';
import { testEngines } from './helpers/test-database.js';

const EMAIL = 'par-dpop@example.com';

for (const engine of testEngines()) {
  describe(`pushed authorization requests (RFC 9126) and DPoP (RFC 9449) with openid-client on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;
    let api: RunningApi;
    let app: { clientId: string; secret: string };

    before(async () => {
      as = await startAuthServer(engine);
      api = await startApi({ issuer: as.issuer });
      await as.createUser(EMAIL, 'instructor');
      const { client, secret } = await as.createClient({ name: 'Notes app', grant: 'authorization_code', redirectUris: [REDIRECT], firstParty: true });
      app = { clientId: client.client_id, secret: secret! };
    });
    after(async () => {
      await api?.close();
      await as?.stop();
    });

    it('advertises both, without requiring either', async () => {
      const discovery = (await (await fetch(`${as.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      assert.equal(discovery.pushed_authorization_request_endpoint, `${as.issuer}/request`);
      assert.notEqual(discovery.require_pushed_authorization_requests, true);
      assert.ok((discovery.dpop_signing_alg_values_supported as string[]).includes('ES256'));
    });

    it('PAR: the app pushes its request, the browser carries only client_id and request_uri, which works once', async () => {
      const config = await clientConfig(as.issuer, app.clientId, app.secret);
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = await oidc.buildAuthorizationUrlWithPAR(config, {
        redirect_uri: REDIRECT,
        scope: 'openid email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      assert.equal(url.origin + url.pathname, `${as.issuer}/auth`);
      assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
      assert.match(url.searchParams.get('request_uri')!, /^urn:ietf:params:oauth:request_uri:/);

      const flow = await authorizeWithoutBrowser(as.issuer, { clientId: app.clientId, redirectUri: REDIRECT, email: EMAIL, password: PASSWORD, url });
      const tokens = await oidc.authorizationCodeGrant(config, flow.callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
      assert.deepEqual(decodeJwt(tokens.access_token).permissions, PERMISSIONS.instructor);
      assert.equal(tokens.claims()?.email, EMAIL);

      const again = await request(new CookieJar(), url.href);
      assert.equal(again.status, 400, 'a pushed request is used once');
      assert.match(await again.text(), /invalid_request_uri/);
    });

    it('PAR: a pushed request with a redirect URI the client did not register is refused at the push', async () => {
      const config = await clientConfig(as.issuer, app.clientId, app.secret);
      await assert.rejects(
        oidc.buildAuthorizationUrlWithPAR(config, {
          redirect_uri: 'http://127.0.0.1:9/elsewhere',
          scope: 'openid',
          code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
        }),
        // RFC 9126 §2.3: the push answers invalid_request where the authorization endpoint would say invalid_redirect_uri
        (error: { error?: string; error_description?: string }) => error.error === 'invalid_request' && /redirect_uri/.test(error.error_description ?? ''),
      );
    });

    it('DPoP: the access token is bound to the app\u2019s key; the example API and our account API accept it only with a proof; refresh and userinfo work', async () => {
      const config = await clientConfig(as.issuer, app.clientId, app.secret);
      const keyPair = await oidc.randomDPoPKeyPair('ES256');
      const DPoP = oidc.getDPoPHandle(config, keyPair);
      const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256');

      const flow = await authorizeWithoutBrowser(as.issuer, {
        clientId: app.clientId,
        redirectUri: REDIRECT,
        email: EMAIL,
        password: PASSWORD,
        scope: 'openid email roles offline_access',
      });
      const tokens = await oidc.authorizationCodeGrant(
        config,
        flow.callback,
        { pkceCodeVerifier: flow.codeVerifier, expectedState: flow.state, expectedNonce: flow.nonce },
        undefined,
        { DPoP },
      );
      assert.equal(tokens.token_type.toLowerCase(), 'dpop');
      const claims = decodeJwt(tokens.access_token) as { cnf?: { jkt?: string }; permissions?: string[] };
      assert.equal(claims.cnf?.jkt, jkt);

      const notes = await oidc.fetchProtectedResource(config, tokens.access_token, new URL(`${api.url}/notes`), 'GET', undefined, undefined, { DPoP });
      assert.equal(notes.status, 200);
      assert.deepEqual(((await notes.json()) as { user: { permissions: string[] } }).user.permissions, PERMISSIONS.instructor);
      const stolen = await fetch(`${api.url}/notes`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(stolen.status, 401, 'a bound token without its key is refused');
      assert.match(stolen.headers.get('www-authenticate') ?? '', /^DPoP realm="api", error="invalid_token"/);

      const me = await oidc.fetchProtectedResource(config, tokens.access_token, new URL(`${as.issuer}/api/auth/me`), 'GET', undefined, undefined, { DPoP });
      assert.equal(me.status, 200);
      assert.equal(((await me.json()) as { email: string }).email, EMAIL);
      const meAsBearer = await fetch(`${as.issuer}/api/auth/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(meAsBearer.status, 401);

      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub, { DPoP });
      assert.equal(userinfo.email, EMAIL);
      const userinfoAsBearer = await fetch(`${as.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(userinfoAsBearer.status, 401, 'userinfo refuses a bound token sent as a bearer token too');

      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP });
      assert.equal((decodeJwt(refreshed.access_token) as { cnf?: { jkt?: string } }).cnf?.jkt, jkt);
    });
  });
}
