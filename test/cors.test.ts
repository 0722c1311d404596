import assert from 'node:assert/strict';
import { startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { testEngines } from './helpers/test-database.js';

const APP_ORIGIN = 'http://127.0.0.1:5173';
const EVIL_ORIGIN = 'https://evil.example';

for (const engine of testEngines()) {
  describe(`CORS on the client endpoints on ${engine}`, () => {
    let as: TestAuthServer;
    let spa: string;
    let confidential: { clientId: string; secret: string };
    before(async () => {
      as = await startAuthServer(engine);
      spa = (await as.createClient({ name: 'Browser app', grant: 'authorization_code', redirectUris: [`${APP_ORIGIN}/callback`], public: true })).client
        .client_id;
      const created = await as.createClient({ name: 'Server app', grant: 'authorization_code', redirectUris: [`${APP_ORIGIN}/server-callback`] });
      confidential = { clientId: created.client.client_id, secret: created.secret! };
    });
    after(() => as?.stop());

    const post = (path: string, origin: string, body: Record<string, string>, basic?: { clientId: string; secret: string }) =>
      fetch(`${as.issuer}${path}`, {
        method: 'POST',
        headers: {
          origin,
          'content-type': 'application/x-www-form-urlencoded',
          ...(basic ? { authorization: `Basic ${Buffer.from(`${basic.clientId}:${basic.secret}`).toString('base64')}` } : {}),
        },
        body: new URLSearchParams(body),
      });
    const allowedOrigin = (response: Response) => response.headers.get('access-control-allow-origin');

    it('a public client is answered with CORS for the origin of its redirect URIs', async () => {
      const token = await post('/token', APP_ORIGIN, { client_id: spa, grant_type: 'refresh_token', refresh_token: 'not-a-token' });
      assert.equal(token.status, 400);
      assert.equal(((await token.json()) as { error: string }).error, 'invalid_grant');
      assert.equal(allowedOrigin(token), APP_ORIGIN);
      const revocation = await post('/token/revocation', APP_ORIGIN, { client_id: spa, token: 'not-a-token' });
      assert.equal(revocation.status, 200);
      assert.equal(allowedOrigin(revocation), APP_ORIGIN);
    });

    it('a public client from another origin gets no CORS', async () => {
      for (const [path, body] of [
        ['/token', { client_id: spa, grant_type: 'refresh_token', refresh_token: 'not-a-token' }],
        ['/token/revocation', { client_id: spa, token: 'not-a-token' }],
      ] as const) {
        const response = await post(path, EVIL_ORIGIN, body);
        assert.equal(allowedOrigin(response), null, path);
        assert.equal(response.status, 400, path);
      }
      assert.equal(allowedOrigin(await post('/token', 'null', { client_id: spa, grant_type: 'refresh_token', refresh_token: 'x' })), null);
    });

    it('a confidential client gets no CORS, even from the origin of its redirect URIs', async () => {
      for (const [path, body] of [
        ['/token', { grant_type: 'refresh_token', refresh_token: 'not-a-token' }],
        ['/token/revocation', { token: 'not-a-token' }],
        ['/token/introspection', { token: 'not-a-token' }],
      ] as const) {
        const response = await post(path, APP_ORIGIN, body, confidential);
        assert.equal(allowedOrigin(response), null, path);
      }
    });

    it('no CORS on an answer that fails before the client is known (wrong secret, unknown client)', async () => {
      const wrongSecret = await post('/token', EVIL_ORIGIN, { grant_type: 'refresh_token', refresh_token: 'x' }, { ...confidential, secret: 'wrong' });
      assert.ok(wrongSecret.status >= 400 && wrongSecret.status < 500, `status ${wrongSecret.status}`);
      assert.equal(allowedOrigin(wrongSecret), null);
      const noClient = await post('/token', EVIL_ORIGIN, { grant_type: 'refresh_token', refresh_token: 'x' });
      assert.equal(noClient.status, 400);
      assert.equal(allowedOrigin(noClient), null);
      const unknown = await post('/token', EVIL_ORIGIN, { client_id: 'nobody', grant_type: 'refresh_token', refresh_token: 'x' });
      assert.ok(unknown.status >= 400 && unknown.status < 500, `status ${unknown.status}`);
      assert.equal(allowedOrigin(unknown), null);
      const userinfo = await fetch(`${as.issuer}/me`, { headers: { origin: EVIL_ORIGIN, authorization: 'Bearer not-a-token' } });
      assert.equal(userinfo.status, 401);
      assert.equal(allowedOrigin(userinfo), null);
    });
  });
}

describe('the CORS policy for userinfo', () => {
  // userinfo answers through oidc-provider only for its own opaque tokens, which this server does not
  // issue to apps, so the rule is checked on the policy itself: oidc-provider's default would allow this
  it('gives a confidential client no CORS at userinfo, even from its redirect origin', async () => {
    const { allowClientOrigin } = await import('../src/oidc/client-cors.js');
    const ctx = { oidc: { route: 'userinfo' } } as unknown as Parameters<typeof allowClientOrigin>[0];
    const client = (clientAuthMethod: string) =>
      ({ clientAuthMethod, redirectUris: [`${APP_ORIGIN}/callback`] }) as unknown as Parameters<typeof allowClientOrigin>[2];
    assert.equal(allowClientOrigin(ctx, APP_ORIGIN, client('client_secret_basic')), false);
    assert.equal(allowClientOrigin(ctx, APP_ORIGIN, client('none')), true);
  });
});
