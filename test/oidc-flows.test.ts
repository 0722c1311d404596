import assert from 'node:assert/strict';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { setAccountActive } from '../src/accounts/accounts-service.js';
import { API, PASSWORD, PERMISSIONS, ROLES, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { authorizeWithoutBrowser, clientConfig, CookieJar, request } from './helpers/browserless-login.js';
import { testEngines } from './helpers/test-database.js';

const REDIRECT = 'http://127.0.0.1:9/callback';

for (const engine of testEngines()) {
  describe(`token server on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;
    let jwks: ReturnType<typeof createRemoteJWKSet>;
    let app: { clientId: string; secret: string };
    let firstParty: { clientId: string; secret: string };

    before(async () => {
      as = await startAuthServer(engine);
      jwks = createRemoteJWKSet(new URL(`${as.issuer}/jwks`));
      for (const role of ROLES) await as.createUser(`${role}@example.com`, role);
      const created = await as.createClient({ name: 'Third-party App', grant: 'authorization_code', redirectUris: [REDIRECT] });
      app = { clientId: created.client.client_id, secret: created.secret! };
      const own = await as.createClient({ name: 'Our App', grant: 'authorization_code', redirectUris: [REDIRECT], firstParty: true });
      firstParty = { clientId: own.client.client_id, secret: own.secret! };
    });
    after(() => as?.stop());

    const verifyAccessToken = (token: string) => jwtVerify(token, jwks, { issuer: as.issuer, audience: API, typ: 'at+jwt' });

    async function login(email: string, client = app, scope?: string) {
      const config = await clientConfig(as.issuer, client.clientId, client.secret);
      const flow = await authorizeWithoutBrowser(as.issuer, { clientId: client.clientId, redirectUri: REDIRECT, email, password: PASSWORD, scope });
      const tokens = await oidc.authorizationCodeGrant(config, flow.callback, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
      return { config, tokens, flow };
    }

    it('publishes discovery that offers the code flow with S256 PKCE only', async () => {
      const metadata = (await (await fetch(`${as.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      assert.equal(metadata.issuer, as.issuer);
      assert.deepEqual(metadata.response_types_supported, ['code']);
      assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
      assert.ok(!(metadata.grant_types_supported as string[]).includes('password'));
      assert.ok(!(metadata.token_endpoint_auth_methods_supported as string[]).includes('client_secret_jwt'));
      assert.ok(!(metadata.id_token_signing_alg_values_supported as string[]).some((alg) => alg === 'none' || alg.startsWith('HS')));
    });

    it('publishes public keys only, each with kid, alg and use', async () => {
      const { keys } = (await (await fetch(`${as.issuer}/jwks`)).json()) as { keys: Record<string, unknown>[] };
      assert.deepEqual(keys.map((k) => k.alg).sort(), ['ES256', 'RS256']);
      for (const key of keys) {
        assert.ok(key.kid && key.use === 'sig');
        for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(key[member], undefined, `no ${member}`);
      }
      assert.equal(new Set(keys.map((k) => k.kid)).size, keys.length);
    });

    for (const role of ROLES) {
      it(`code flow + PKCE for a ${role} in a first-party app: a valid ID token and an ES256 access token with the ${role}'s roles and permissions`, async () => {
        const { tokens } = await login(`${role}@example.com`, firstParty);
        const idClaims = tokens.claims()!;
        assert.equal(idClaims.iss, as.issuer);
        assert.equal(idClaims.aud, firstParty.clientId);
        assert.deepEqual(idClaims.roles, [role]);
        assert.equal(idClaims.email, `${role}@example.com`);
        const { payload, protectedHeader } = await verifyAccessToken(tokens.access_token);
        assert.equal(protectedHeader.alg, 'ES256');
        assert.equal(protectedHeader.typ, 'at+jwt');
        assert.deepEqual(payload.roles, [role]);
        assert.deepEqual(payload.permissions, PERMISSIONS[role]);
        assert.equal(payload.sub, idClaims.sub);
        assert.equal(payload.client_id, firstParty.clientId);
        assert.equal(payload.exp! - payload.iat!, 30 * 60, 'access_token_expire_minutes');
        assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');
        assert.equal(tokens.expires_in, 1800);
      });
    }

    it('signs ID tokens with RS256 for clients that name no algorithm', async () => {
      const { tokens } = await login('guest@example.com');
      assert.equal(decodeProtectedHeader(tokens.id_token!).alg, 'RS256');
    });

    it('narrows permissions to what was asked and what the user holds', async () => {
      const { tokens } = await login('student@example.com', app, 'openid read write delete');
      const { payload } = await verifyAccessToken(tokens.access_token);
      assert.deepEqual(payload.permissions, ['read']);
      assert.equal(payload.scope, 'openid read');
      assert.equal(tokens.scope, 'openid read');
    });

    it('answers userinfo for the JWT access token the code exchange returned', async () => {
      const { config, tokens } = await login('instructor@example.com');
      const sub = tokens.claims()!.sub;
      const info = await oidc.fetchUserInfo(config, tokens.access_token, sub);
      assert.equal(info.email, 'instructor@example.com');
      assert.deepEqual(info.roles, ['instructor']);
      const bad = await fetch(`${as.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token.slice(0, -4)}AAAA` } });
      assert.equal(bad.status, 401);
      assert.match(bad.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    });

    it('skips the consent page for first-party clients and still issues a refresh token', async () => {
      const consenting = await authorizeWithoutBrowser(as.issuer, {
        clientId: app.clientId,
        redirectUri: REDIRECT,
        email: 'student@example.com',
        password: PASSWORD,
        scope: 'openid',
        params: { prompt: 'login' },
      });
      assert.deepEqual(consenting.pages, ['login', 'consent'], 'a third-party app asks for consent');
      const flow = await authorizeWithoutBrowser(as.issuer, {
        clientId: firstParty.clientId,
        redirectUri: REDIRECT,
        email: 'student@example.com',
        password: PASSWORD,
        scope: 'openid',
        params: { prompt: 'login' },
      });
      assert.deepEqual(flow.pages, ['login']);
      const config = await clientConfig(as.issuer, firstParty.clientId, firstParty.secret);
      const tokens = await oidc.authorizationCodeGrant(config, flow.callback, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
      assert.ok(tokens.refresh_token, 'first-party apps get a refresh token without offline_access');
      assert.deepEqual((await verifyAccessToken(tokens.access_token)).payload.permissions, PERMISSIONS.student);
    });

    it('rotates refresh tokens; replaying a used one is invalid_grant and ends the whole chain', async () => {
      const { config, tokens } = await login('student@example.com', firstParty);
      const first = tokens.refresh_token!;
      const rotated = await oidc.refreshTokenGrant(config, first);
      assert.ok(rotated.refresh_token && rotated.refresh_token !== first);
      const { payload } = await verifyAccessToken(rotated.access_token);
      assert.deepEqual(payload.permissions, PERMISSIONS.student);
      // once the successor was used, the old token is a replay even inside the retry window
      // (an immediate retry, whose answer was lost, gets the same successor: test/refresh-retry.test.ts)
      const next = await oidc.refreshTokenGrant(config, rotated.refresh_token!);

      await assert.rejects(oidc.refreshTokenGrant(config, first), (e: oidc.ResponseBodyError) => e.error === 'invalid_grant');
      await assert.rejects(oidc.refreshTokenGrant(config, next.refresh_token!), (e: oidc.ResponseBodyError) => e.error === 'invalid_grant');
    });

    it('shows a role change in the next token', async () => {
      const user = await as.createUser('promoted@example.com', 'guest');
      const { config, tokens } = await login('promoted@example.com', firstParty);
      assert.deepEqual((await verifyAccessToken(tokens.access_token)).payload.roles, ['guest']);
      await as.db.knex('users').where({ id: user.id }).update({ role: 'instructor' });
      const next = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      const { payload } = await verifyAccessToken(next.access_token);
      assert.deepEqual(payload.roles, ['instructor']);
      assert.deepEqual(payload.permissions, PERMISSIONS.instructor);
    });

    it('a disabled user cannot log in and their refresh token fails', async () => {
      const user = await as.createUser('leaver@example.com', 'student');
      const { config, tokens } = await login('leaver@example.com');
      await setAccountActive({ db: as.db.knex, config: as.config }, user.id, false);
      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (e: oidc.ResponseBodyError) => e.error === 'invalid_grant');
      await assert.rejects(login('leaver@example.com'), /the \/interaction\/[^/]+\/login form answered 401/);
    });

    it('revocation of a refresh token ends it', async () => {
      const { config, tokens } = await login('guest@example.com');
      await oidc.tokenRevocation(config, tokens.refresh_token!);
      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (e: oidc.ResponseBodyError) => e.error === 'invalid_grant');
    });

    it('a mismatched redirect_uri shows the error page and never redirects', async () => {
      for (const redirect of ['http://127.0.0.1:9/callback/../evil', 'http://127.0.0.1:9/callback?x=1', 'https://evil.example/callback']) {
        const url = `${as.issuer}/auth?${new URLSearchParams({ client_id: app.clientId, redirect_uri: redirect, response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`;
        const response = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
        assert.equal(response.status, 400);
        assert.equal(response.headers.get('location'), null);
        const html = await response.text();
        assert.match(html, /redirect_uri did not match any of the client&#39;s registered redirect_uris|redirect_uri/);
        assert.doesNotMatch(html, /at \S+\.js:\d+/, 'no stack trace');
      }
    });

    it('refuses an authorization request without PKCE, with plain PKCE, and a token request without the verifier', async () => {
      const base = { client_id: app.clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 'st' };
      for (const extra of [{}, { code_challenge: 'abc', code_challenge_method: 'plain' }] as Record<string, string>[]) {
        const response = await fetch(`${as.issuer}/auth?${new URLSearchParams({ ...base, ...extra })}`, { redirect: 'manual' });
        const location = new URL(response.headers.get('location')!);
        assert.equal(location.origin + location.pathname, REDIRECT);
        assert.equal(location.searchParams.get('error'), 'invalid_request');
        assert.equal(location.searchParams.get('state'), 'st');
      }
      const flow = await authorizeWithoutBrowser(as.issuer, { clientId: app.clientId, redirectUri: REDIRECT, email: 'guest@example.com', password: PASSWORD });
      const response = await fetch(`${as.issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${app.clientId}:${app.secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: flow.callback.searchParams.get('code')!, redirect_uri: REDIRECT }),
      });
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_grant');
    });

    describe('client credentials', () => {
      let machine: { clientId: string; secret: string };
      before(async () => {
        const created = await as.createClient({ name: 'Reporting job', grant: 'client_credentials', permissions: ['read', 'write'] });
        machine = { clientId: created.client.client_id, secret: created.secret! };
      });
      const tokenRequest = (params: Record<string, string>, secret = machine.secret) =>
        fetch(`${as.issuer}/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${machine.clientId}:${encodeURIComponent(secret)}`).toString('base64')}`,
          },
          body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
        });

      it("issues a JWT that verifies via the JWKS with the client's permissions", async () => {
        const response = await tokenRequest({});
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('cache-control'), 'no-store');
        const body = (await response.json()) as Record<string, unknown>;
        assert.equal(body.refresh_token, undefined);
        assert.equal(body.id_token, undefined);
        const { payload } = await verifyAccessToken(body.access_token as string);
        assert.equal(payload.sub, machine.clientId);
        assert.deepEqual(payload.permissions, ['read', 'write']);
        assert.equal(payload.roles, undefined, 'a machine has no role');
      });

      it('narrows to a smaller scope, and refuses a scope beyond what the client may receive', async () => {
        const narrowed = (await (await tokenRequest({ scope: 'read' })).json()) as { access_token: string; scope: string };
        assert.equal(narrowed.scope, 'read');
        assert.deepEqual((await verifyAccessToken(narrowed.access_token)).payload.permissions, ['read']);
        const beyond = await tokenRequest({ scope: 'read delete' });
        assert.equal(beyond.status, 400);
        assert.deepEqual(await beyond.json(), { error: 'invalid_scope', error_description: 'this client is not registered for delete', scope: 'delete' });
      });

      it('answers a wrong secret with 401 invalid_client', async () => {
        const response = await tokenRequest({}, 'wrong-secret');
        assert.equal(response.status, 401);
        assert.equal(((await response.json()) as { error: string }).error, 'invalid_client');
      });

      it('treats a stored hash presented as the secret as a wrong secret', async () => {
        const row = await as.db.knex('clients').where({ client_id: machine.clientId }).first();
        const response = await tokenRequest({}, row!.secret_hash!);
        assert.equal(response.status, 401);
      });

      it('refuses an unknown resource with invalid_target', async () => {
        const response = await tokenRequest({ resource: 'https://other.example/api' });
        assert.equal(response.status, 400);
        assert.equal(((await response.json()) as { error: string }).error, 'invalid_target');
      });
    });

    describe('bad input gets a 4xx, never a 5xx', () => {
      const cases: [string, () => Promise<Response>][] = [
        ['a NUL byte in client_id at /auth', () => fetch(`${as.issuer}/auth?client_id=a%00b&response_type=code&scope=openid`, { redirect: 'manual' })],
        [
          'a NUL byte in client_id at /token',
          () =>
            fetch(`${as.issuer}/token`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: 'grant_type=client_credentials&client_id=a%00b&client_secret=x',
            }),
        ],
        [
          'SQL in a refresh token',
          () =>
            fetch(`${as.issuer}/token`, {
              method: 'POST',
              headers: {
                'content-type': 'application/x-www-form-urlencoded',
                authorization: `Basic ${Buffer.from(`${app.clientId}:${app.secret}`).toString('base64')}`,
              },
              body: `grant_type=refresh_token&refresh_token=${encodeURIComponent("' or 1=1 --")}`,
            }),
        ],
        [
          'a JSON body at /token',
          () => fetch(`${as.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":"client_credentials"}' }),
        ],
        [
          'a 100 KB form at /token',
          () =>
            fetch(`${as.issuer}/token`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: `grant_type=client_credentials&x=${'a'.repeat(100_000)}`,
            }),
        ],
        ['an unknown interaction', () => fetch(`${as.issuer}/interaction/nope`, { headers: { accept: 'text/html' } })],
        [
          'a login POST without the interaction cookie (login CSRF)',
          () =>
            fetch(`${as.issuer}/interaction/nope/login`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: 'email=a%40b.c&password=x',
            }),
        ],
      ];
      for (const [name, send] of cases) {
        it(name, async () => {
          const response = await send();
          assert.ok(response.status >= 400 && response.status < 500, `status ${response.status}`);
        });
      }

      it('a login form with a forged CSRF token is refused and logs nobody in', async () => {
        const jar = new CookieJar();
        const verifier = oidc.randomPKCECodeVerifier();
        const start = await request(
          jar,
          `${as.issuer}/auth?${new URLSearchParams({ client_id: app.clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' })}`,
        );
        const interaction = new URL(start.headers.get('location')!, as.issuer);
        await request(jar, interaction.href);
        const response = await request(jar, `${interaction.href}/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf: 'forged', email: 'admin@example.com', password: PASSWORD }).toString(),
        });
        assert.equal(response.status, 400);
        assert.equal(response.headers.get('location'), null);
        assert.match(await response.text(), /did not come from this site/);
      });
    });
  });
}
