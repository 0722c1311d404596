import assert from 'node:assert/strict';
import path from 'node:path';
import { decodeJwt, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { startApi, type RunningApi } from '../examples/api/app.js';
import { packageRoot } from '../src/paths.js';
import { API, freePort, PASSWORD, PERMISSIONS, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { authorizeWithoutBrowser, clientConfig } from './helpers/browserless-login.js';
import { requireFastApi, startUvicorn, type RunningUvicorn } from './helpers/python.js';
import { testEngines } from './helpers/test-database.js';
import { REDIRECT } from './helpers/token-flows.js';

const EXAMPLE_DIR = path.join(packageRoot, 'examples', 'fastapi-api');

interface Answer {
  status: number;
  body: any;
  challenge: string | null;
  headers: Headers;
}

// examples/fastapi-api (FastAPI + PyJWT's PyJWKClient, run by uvicorn from the Debian packages) against a
// real auth-connect server, with real tokens: it must answer as the TypeScript kit does (examples/api, run
// beside it, is the reference for every refusal).
for (const engine of testEngines()) {
  describe(`FastAPI example (examples/fastapi-api) on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;
    let python: RunningUvicorn;
    let kit: RunningApi;
    const tokens = new Map<string, string>();
    let signingKey: JWK & { kid: string };

    before(async function () {
      requireFastApi(this);
      as = await startAuthServer(engine);
      for (const role of ['admin', 'instructor', 'guest']) {
        await as.createUser(`${role}@example.com`, role);
        const login = await fetch(`${as.issuer}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: `${role}@example.com`, password: PASSWORD }),
        });
        assert.equal(login.status, 200);
        tokens.set(role, ((await login.json()) as { access_token: string }).access_token);
      }
      const keys = await as.signingKeys();
      signingKey = keys.keys.find((key) => key.alg === 'ES256')!;
      python = await startUvicorn(EXAMPLE_DIR, 'app:app', await freePort(), { ISSUER: as.issuer });
      kit = await startApi({ issuer: as.issuer });
    });
    after(async () => {
      const code = await python?.stop();
      await kit?.close();
      await as?.stop();
      if (python) assert.equal(code, 0, `uvicorn stopped with ${code}:\n${python.output()}`);
    });

    const call = async (base: string, method: string, route: string, authorization?: string, body?: string): Promise<Answer> => {
      const response = await fetch(`${base}${route}`, {
        method,
        headers: { ...(authorization ? { authorization } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body,
      });
      const text = await response.text();
      return {
        status: response.status,
        body: text ? JSON.parse(text) : undefined,
        challenge: response.headers.get('www-authenticate'),
        headers: response.headers,
      };
    };
    const py = (method: string, route: string, authorization?: string, body?: string) => call(python.url, method, route, authorization, body);
    const bearer = (role: string) => `Bearer ${tokens.get(role)}`;

    /** Asserts the FastAPI example and the kit's Koa example answer a request the same way, and returns the answer. */
    const sameAsKit = async (method: string, route: string, authorization?: string): Promise<Answer> => {
      const [fromPython, fromKit] = await Promise.all([py(method, route, authorization), call(kit.url, method, route, authorization)]);
      assert.deepEqual(
        { status: fromPython.status, body: fromPython.body, challenge: fromPython.challenge },
        { status: fromKit.status, body: fromKit.body, challenge: fromKit.challenge },
        `${method} ${route} answered differently by the FastAPI example and the kit`,
      );
      return fromPython;
    };

    /** A token signed with the server's own key (from the database), valid unless `changes` breaks it. */
    const signed = async (changes: { payload?: JWTPayload; header?: Record<string, unknown>; exp?: number } = {}): Promise<string> => {
      const now = Math.floor(Date.now() / 1000);
      const payload = {
        iss: as.issuer,
        aud: API,
        sub: '00000000-0000-0000-0000-000000000001',
        client_id: 'auth-connect',
        scope: 'read',
        roles: ['guest'],
        permissions: ['read'],
        iat: now - 60,
        exp: changes.exp ?? now + 600,
        ...changes.payload,
      };
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: signingKey.kid, ...changes.header })
        .sign(await importJWK(signingKey, 'ES256'));
    };

    it('answers a request without a token 401 with a bare Bearer challenge, as the kit does', async () => {
      const none = await sameAsKit('GET', '/notes');
      assert.equal(none.status, 401);
      assert.equal(none.challenge, 'Bearer realm="api"');
      assert.deepEqual(none.body, { error: 'INVALID_TOKEN', message: 'an access token is required' });
      await sameAsKit('GET', '/notes', 'Basic dXNlcjpwYXNz');
      await sameAsKit('GET', '/notes', 'Bearer');
      await sameAsKit('GET', '/notes', `Bearer ${tokens.get('guest')} extra`);
    });

    it('accepts a first-party login token: GET /notes with read answers 200 with the subject', async () => {
      const answer = await py('GET', '/notes', bearer('guest'));
      assert.equal(answer.status, 200);
      const claims = decodeJwt(tokens.get('guest')!);
      assert.deepEqual(answer.body.user, { sub: claims.sub, roles: ['guest'], permissions: PERMISSIONS.guest });
      assert.equal(answer.body.notes[0].id, 1);
    });

    it('asks each route for its permission (403 INSUFFICIENT_PERMISSIONS like the kit), and admin stats for the role', async () => {
      const denied = await sameAsKit('POST', '/notes', bearer('guest'));
      assert.equal(denied.status, 403);
      assert.deepEqual(denied.body, { error: 'INSUFFICIENT_PERMISSIONS', message: 'this request needs the write permission' });
      assert.equal(denied.challenge, 'Bearer realm="api", error="insufficient_scope", error_description="this request needs the write permission"');
      assert.equal((await sameAsKit('DELETE', '/notes/1', bearer('instructor'))).status, 403);
      const stats = await sameAsKit('GET', '/admin/stats', bearer('instructor'));
      assert.deepEqual([stats.status, stats.body.message], [403, 'this request needs the admin role']);

      const created = await py('POST', '/notes', bearer('instructor'), JSON.stringify({ text: ' from Python ' }));
      assert.equal(created.status, 201);
      assert.equal(created.body.text, 'from Python');
      assert.equal(created.body.author, decodeJwt(tokens.get('instructor')!).sub);
      assert.equal(created.headers.get('location'), `/notes/${created.body.id}`);
      assert.equal((await py('DELETE', `/notes/${created.body.id}`, bearer('admin'))).status, 204);
      assert.deepEqual((await py('DELETE', `/notes/${created.body.id}`, bearer('admin'))).body, { error: 'NOT_FOUND', message: `no note ${created.body.id}` });
      const adminStats = await py('GET', '/admin/stats', bearer('admin'));
      assert.equal(adminStats.status, 200);
      assert.equal(adminStats.body.notes, 1);
    });

    it('refuses an expired token 401 TOKEN_EXPIRED, and allows 30 s of clock skew', async () => {
      const expired = await signed({ exp: Math.floor(Date.now() / 1000) - 3600 });
      const answer = await sameAsKit('GET', '/notes', `Bearer ${expired}`);
      assert.deepEqual([answer.status, answer.body.error, answer.body.message], [401, 'TOKEN_EXPIRED', 'the access token has expired']);
      assert.equal(answer.challenge, 'Bearer realm="api", error="invalid_token", error_description="the access token has expired"');
      const justExpired = await signed({ exp: Math.floor(Date.now() / 1000) - 10 });
      assert.equal((await py('GET', '/notes', `Bearer ${justExpired}`)).status, 200);
      assert.equal((await py('GET', '/notes', `Bearer ${await signed()}`)).status, 200, 'the signing helper makes good tokens');
    });

    it('refuses a token for another audience, from another issuer, of another type, alg or key, or with a bad signature, as the kit does', async () => {
      const cases: [string, string][] = [
        [await signed({ payload: { aud: 'urn:example:another-api' } }), 'the token is not meant for this API'],
        [await signed({ payload: { iss: 'http://127.0.0.1:9' } }), 'the token was issued by another issuer'],
        [await signed({ header: { typ: 'JWT' } }), 'the token is not an access token'],
        [await signed({ header: { kid: 'not-a-published-key' } }), 'the token is signed with a key the issuer does not publish'],
        [await signed({ payload: { nbf: Math.floor(Date.now() / 1000) + 3600 } }), 'the token is not valid yet'],
        [`${tokens.get('admin')!.slice(0, -6)}AAAAAA`, 'the token signature is invalid'],
        [
          await new SignJWT({ iss: as.issuer, aud: API, sub: 'x', client_id: 'auth-connect', permissions: ['read'] })
            .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: signingKey.kid })
            .setExpirationTime('10m')
            .sign(new TextEncoder().encode('a shared secret nobody should accept here')),
          'the token is signed with an algorithm this API does not accept',
        ],
        ['not.a.token', 'the token is malformed'],
        [
          await new SignJWT({ iss: as.issuer, aud: API, sub: 'x', client_id: 'auth-connect' })
            .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: signingKey.kid, crit: ['urn:example:unknown'], 'urn:example:unknown': true })
            .setExpirationTime('10m')
            .sign(await importJWK(signingKey, 'ES256'), { crit: { 'urn:example:unknown': true } }),
          'the token is invalid',
        ],
      ];
      for (const [token, message] of cases) {
        const answer = await sameAsKit('GET', '/notes', `Bearer ${token}`);
        assert.deepEqual([answer.status, answer.body], [401, { error: 'INVALID_TOKEN', message }]);
      }
      const noClientId = await signed({ payload: { client_id: undefined } });
      assert.deepEqual((await py('GET', '/notes', `Bearer ${noClientId}`)).body, { error: 'INVALID_TOKEN', message: 'the token lacks the client_id claim' });
      const badPermissions = await signed({ payload: { permissions: 'read' } });
      assert.deepEqual((await sameAsKit('GET', '/notes', `Bearer ${badPermissions}`)).body, {
        error: 'INVALID_TOKEN',
        message: "the token's permissions claim is missing or malformed",
      });
    });

    it('accepts an access token from the code flow (openid-client) and refuses its ID token, as the kit does', async () => {
      const { client, secret } = await as.createClient({ name: 'Code flow app', grant: 'authorization_code', redirectUris: [REDIRECT], firstParty: true });
      const config = await clientConfig(as.issuer, client.client_id, secret);
      const flow = await authorizeWithoutBrowser(as.issuer, {
        clientId: client.client_id,
        redirectUri: REDIRECT,
        email: 'instructor@example.com',
        password: PASSWORD,
      });
      const grant = await oidc.authorizationCodeGrant(config, flow.callback, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
      const notes = await py('GET', '/notes', `Bearer ${grant.access_token}`);
      assert.equal(notes.status, 200);
      assert.deepEqual(notes.body.user.permissions, PERMISSIONS.instructor);
      const idToken = await sameAsKit('GET', '/notes', `Bearer ${grant.id_token}`);
      assert.deepEqual([idToken.status, idToken.body], [401, { error: 'INVALID_TOKEN', message: 'the token is not an access token' }]);
    });

    it('accepts a token whose iat is ahead of the clock, as the kit does (only exp and nbf are compared with it)', async () => {
      const ahead = await signed({ payload: { iat: Math.floor(Date.now() / 1000) + 300 } });
      assert.equal((await py('GET', '/notes', `Bearer ${ahead}`)).status, 200);
      assert.equal((await call(kit.url, 'GET', '/notes', `Bearer ${ahead}`)).status, 200);
    });

    it('refuses a DPoP-bound token sent as a bearer token (RFC 9449 §7.2), and the DPoP scheme, which it does not take', async () => {
      const { client, secret } = await as.createClient({ name: 'DPoP app', grant: 'authorization_code', redirectUris: [REDIRECT], firstParty: true });
      const config = await clientConfig(as.issuer, client.client_id, secret);
      const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
      const flow = await authorizeWithoutBrowser(as.issuer, {
        clientId: client.client_id,
        redirectUri: REDIRECT,
        email: 'guest@example.com',
        password: PASSWORD,
      });
      const grant = await oidc.authorizationCodeGrant(
        config,
        flow.callback,
        { pkceCodeVerifier: flow.codeVerifier, expectedState: flow.state, expectedNonce: flow.nonce },
        undefined,
        { DPoP },
      );
      assert.ok((decodeJwt(grant.access_token) as { cnf?: { jkt?: string } }).cnf?.jkt, 'the token is DPoP-bound');

      const stolen = await py('GET', '/notes', `Bearer ${grant.access_token}`);
      assert.deepEqual([stolen.status, stolen.body.error], [401, 'INVALID_TOKEN']);
      assert.match(stolen.body.message, /bound to a DPoP key/);
      assert.match(stolen.challenge ?? '', /^Bearer realm="api", error="invalid_token", error_description="this access token is bound to a DPoP key/);
      assert.equal((await call(kit.url, 'GET', '/notes', `Bearer ${grant.access_token}`)).status, 401, 'the kit refuses it too');

      const asDpop = await py('GET', '/notes', `DPoP ${grant.access_token}`);
      assert.deepEqual([asDpop.status, asDpop.body.error], [401, 'INVALID_TOKEN']);
      const forgedBound = await signed({ payload: { cnf: { jkt: 'x'.repeat(43) } } });
      assert.equal((await py('GET', '/notes', `Bearer ${forgedBound}`)).status, 401);
    });

    it('checks the token before it reads a body, and answers bad input with 4xx JSON', async () => {
      assert.equal((await py('POST', '/notes', undefined, '{')).status, 401);
      const notJson = await py('POST', '/notes', bearer('admin'), '{');
      assert.deepEqual([notJson.status, notJson.body.error], [400, 'INVALID_REQUEST']);
      assert.equal((await py('POST', '/notes', bearer('admin'), JSON.stringify({ text: '' }))).status, 400);
      assert.equal((await py('POST', '/notes', bearer('admin'), JSON.stringify({ text: 'x'.repeat(20_000) }))).status, 413);
      assert.deepEqual((await py('GET', '/nowhere', bearer('admin'))).body, { error: 'NOT_FOUND', message: 'no such route' });
    });

    it('answers 503 SERVICE_UNAVAILABLE with Retry-After while the issuer cannot be reached, like the kit', async () => {
      const closed = `http://127.0.0.1:${await freePort()}`;
      const unreachable = await startUvicorn(EXAMPLE_DIR, 'app:app', await freePort(), { ISSUER: closed });
      try {
        const answer = await call(unreachable.url, 'GET', '/notes', bearer('guest'));
        assert.deepEqual([answer.status, answer.body.error], [503, 'SERVICE_UNAVAILABLE']);
        assert.equal(answer.headers.get('retry-after'), '2');
      } finally {
        await unreachable.stop();
      }
    });

    it('finds the keys at JWKS_URI without discovery', async () => {
      const direct = await startUvicorn(EXAMPLE_DIR, 'app:app', await freePort(), { ISSUER: as.issuer, JWKS_URI: `${as.issuer}/jwks` });
      try {
        assert.equal((await call(direct.url, 'GET', '/notes', bearer('guest'))).status, 200);
      } finally {
        await direct.stop();
      }
    });
  });
}
