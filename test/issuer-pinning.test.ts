import assert from 'node:assert/strict';
import http from 'node:http';
import { startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { testEngines } from './helpers/test-database.js';

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request with headers fetch() would not send as given (Host) and an optional absolute request target. */
function rawGet(server: string, target: string, headers: Record<string, string>): Promise<RawResponse> {
  const { hostname, port } = new URL(server);
  return new Promise((resolve, reject) => {
    const request = http.request({ hostname, port, path: target, method: 'GET', headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

/** Every http(s) URL in a text. */
const urlsIn = (text: string) => [...text.matchAll(/https?:\/\/[^\s"'<>\\]+/g)].map((m) => m[0]);

const ATTACKS: [string, string | undefined, Record<string, string>][] = [
  ['a foreign Host header', undefined, { host: 'evil.example' }],
  ['X-Forwarded-Host and X-Forwarded-Proto', undefined, { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' }],
  ['an absolute request target', 'http://evil.example', { host: 'evil.example' }],
];

for (const engine of testEngines()) {
  describe(`URLs pinned to the issuer on ${engine}`, () => {
    let as: TestAuthServer;
    before(async () => {
      // behind a proxy is where forwarded headers are read at all
      as = await startAuthServer(engine, { TRUST_PROXY: 'true' });
    });
    after(() => as?.stop());

    for (const [name, prefix, headers] of ATTACKS) {
      it(`discovery names only the issuer's URLs despite ${name}`, async () => {
        const response = await rawGet(as.issuer, `${prefix ?? ''}/.well-known/openid-configuration`, headers);
        assert.equal(response.status, 200);
        const metadata = JSON.parse(response.body) as Record<string, unknown>;
        assert.equal(metadata.issuer, as.issuer);
        assert.equal(metadata.jwks_uri, `${as.issuer}/jwks`);
        assert.equal(metadata.token_endpoint, `${as.issuer}/token`);
        const urls = urlsIn(response.body);
        assert.ok(urls.length >= 8, `urls: ${urls.join(' ')}`);
        for (const url of urls) assert.ok(url === as.issuer || url.startsWith(`${as.issuer}/`), url);
      });

      it(`pages and redirects use the issuer despite ${name}`, async () => {
        const logout = await rawGet(as.issuer, `${prefix ?? ''}/session/end`, { ...headers, accept: 'text/html' });
        assert.equal(logout.status, 200);
        assert.match(logout.body, new RegExp(`action="${as.issuer}/session/end/confirm"`));
        assert.doesNotMatch(logout.body, /evil\.example/);
        const client = await as.createClient({ name: 'Pinned', grant: 'authorization_code', redirectUris: ['http://127.0.0.1:9/cb'] });
        const query = new URLSearchParams({
          client_id: client.client.client_id,
          redirect_uri: 'http://127.0.0.1:9/cb',
          response_type: 'code',
          scope: 'openid',
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
        });
        const authorize = await rawGet(as.issuer, `${prefix ?? ''}/auth?${query}`, headers);
        assert.equal(authorize.status, 303);
        const location = new URL(authorize.headers.location!, as.issuer);
        assert.equal(location.origin, as.issuer);
        for (const cookie of authorize.headers['set-cookie'] ?? []) assert.doesNotMatch(cookie, /domain=|secure/i, cookie);
      });
    }

    it('discovery and JWKS carry a bounded public Cache-Control', async () => {
      const discovery = await fetch(`${as.issuer}/.well-known/openid-configuration`);
      assert.equal(discovery.headers.get('cache-control'), 'public, max-age=300');
      const jwks = await fetch(`${as.issuer}/jwks`);
      // below the key prepublish window (900 s by default) with room for an API's own cache
      assert.equal(jwks.headers.get('cache-control'), 'public, max-age=60');
      const token = await fetch(`${as.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      assert.equal(token.headers.get('cache-control'), 'no-store', 'errors and tokens stay uncached');
    });
  });
}
