import assert from 'node:assert/strict';
import { errorMessageFor } from '../src/interactions/error-messages.js';
import { startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { testEngines } from './helpers/test-database.js';

const HTML = { accept: 'text/html' };
const REDIRECT = 'http://127.0.0.1:9/callback';

/** The text a person reads on a page: tags dropped, entities of our escaping undone, spaces collapsed. */
function visibleText(html: string): string {
  return html
    .replace(/<head>[\s\S]*<\/head>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}
const titleOf = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1];

for (const engine of testEngines()) {
  describe(`first pages and fallbacks on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;
    let clientId: string;
    before(async () => {
      as = await startAuthServer(engine);
      clientId = (await as.createClient({ name: 'Page App', grant: 'authorization_code', redirectUris: [REDIRECT] })).client.client_id;
    });
    after(() => as?.stop());

    it('GET / is a landing page naming the organisation, linking discovery and the JWKS', async () => {
      const response = await fetch(`${as.issuer}/`, { headers: HTML });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type')!, /^text\/html/);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.match(response.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
      const html = await response.text();
      assert.match(html, /<link rel="stylesheet" href="\/assets\/app\.css">/, "the login pages' style");
      assert.match(visibleText(html), /This is where auth-connect's applications send you to sign in/);
      assert.match(html, /href="\/\.well-known\/openid-configuration"/);
      assert.match(html, /href="\/jwks"/);
      assert.match(visibleText(html), /README\.md/);
    });

    it("an unknown page is a styled 404 page; oidc-provider's own routes answer as before", async () => {
      for (const path of ['/nope', '/interaction/unknown/else', '/assets/missing.css', '/auth/extra/segments']) {
        const response = await fetch(`${as.issuer}${path}`, { headers: HTML });
        assert.equal(response.status, 404, path);
        assert.match(response.headers.get('content-type')!, /^text\/html/);
        assert.match(response.headers.get('content-security-policy')!, /frame-ancestors 'none'/, "the pages' security headers");
        assert.equal(response.headers.get('cache-control'), 'no-store');
        const html = await response.text();
        assert.equal(titleOf(html), 'Error: Page not found · auth-connect', path);
        assert.match(visibleText(html), /There is no page at this address/);
        assert.match(html, /href="\/assets\/app\.css"/);
      }
      const discovery = await fetch(`${as.issuer}/.well-known/openid-configuration`);
      assert.equal(discovery.status, 200);
      assert.match(discovery.headers.get('content-type')!, /json/);
      const token = await fetch(`${as.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=nope',
      });
      assert.equal(token.status, 400);
      assert.match(token.headers.get('content-type')!, /json/, 'the token endpoint still answers JSON errors');
    });

    it('every /api/* path answers JSON: 404 NOT_FOUND for an unknown path, 405 METHOD_NOT_ALLOWED with Allow for a wrong method', async () => {
      for (const [method, path] of [
        ['GET', '/api/nope'],
        ['GET', '/api'],
        ['POST', '/api/admin/nothing-here'],
        ['DELETE', '/api/auth/no/such/thing'],
      ] as const) {
        const response = await fetch(`${as.issuer}${path}`, { method, headers: HTML });
        assert.equal(response.status, 404, `${method} ${path}`);
        assert.match(response.headers.get('content-type')!, /^application\/json/, `${method} ${path}: ${response.status}`);
        assert.equal(((await response.json()) as { error: string }).error, 'NOT_FOUND');
      }
      for (const [method, path, allowed] of [
        ['DELETE', '/api/auth/me', 'GET'],
        ['GET', '/api/auth/login', 'POST'],
        ['PUT', '/api/admin/users', 'GET'],
      ] as const) {
        const response = await fetch(`${as.issuer}${path}`, {
          method,
          headers: { 'content-type': 'application/json' },
          body: method === 'GET' ? undefined : '{}',
        });
        assert.equal(response.status, 405, `${method} ${path}`);
        assert.ok(response.headers.get('allow')?.split(/,\s*/).includes(allowed), `Allow: ${response.headers.get('allow')}`);
        const body = (await response.json()) as { error: string; message: string };
        assert.equal(body.error, 'METHOD_NOT_ALLOWED');
        assert.match(body.message, new RegExp(`allowed: .*${allowed}`));
      }
    });

    it('error pages say what happened in a sentence, with the technical detail below and "Error" in the title', async () => {
      const cases: [string, RegExp, RegExp][] = [
        [
          `/auth?${new URLSearchParams({ client_id: 'no-such-client', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid' })}`,
          /This application is not known/,
          /invalid_client/,
        ],
        [
          `/auth?${new URLSearchParams({ client_id: clientId, redirect_uri: 'https://evil.example/cb', response_type: 'code', scope: 'openid' })}`,
          /This application is misconfigured/,
          /redirect_uri/,
        ],
        ['/interaction/not-a-real-one', /This sign-in has expired/, /session_not_found/],
      ];
      for (const [path, sentence, detail] of cases) {
        const response = await fetch(`${as.issuer}${path}`, { headers: HTML, redirect: 'manual' });
        assert.equal(response.status, 400, path);
        const html = await response.text();
        assert.match(titleOf(html)!, /^Error: /, path);
        assert.match(visibleText(html), sentence, path);
        const small = /<p class="detail">([\s\S]*?)<\/p>/.exec(html)?.[1];
        assert.ok(small, 'the technical detail is in its own small paragraph');
        assert.match(visibleText(small), detail);
        assert.doesNotMatch(visibleText(html.replace(/<p class="detail">[\s\S]*?<\/p>/, '')), detail, 'the code is not the message');
      }
    });
  });
}

describe('error page sentences', () => {
  it('has a sentence of its own for every error code a user can meet, none of them the bare code', () => {
    const fallback = errorMessageFor('no_such_code');
    const codes = [
      'invalid_request',
      'invalid_client',
      'unauthorized_client',
      'invalid_redirect_uri',
      'access_denied',
      'invalid_scope',
      'invalid_target',
      'session_not_found',
      'login_required',
      'consent_required',
      'interaction_required',
      'invalid_grant',
      'server_error',
      'temporarily_unavailable',
      'not_found',
    ];
    const headings = new Set<string>();
    for (const code of codes) {
      const message = errorMessageFor(code);
      assert.notDeepEqual(message, fallback, code);
      assert.doesNotMatch(`${message.heading} ${message.sentence}`, new RegExp(code), `${code}: written for people, not the code again`);
      assert.match(message.sentence, /\.$/, `${code}: a sentence`);
      headings.add(message.heading);
    }
    assert.ok(headings.size >= codes.length - 2, 'the codes are told apart');
    assert.deepEqual(errorMessageFor('__proto__'), fallback, 'only own entries');
  });
});
