import assert from 'node:assert/strict';
import { setAccountActive } from '../src/accounts/accounts-service.js';
import { PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { csrfOf, CookieJar, request } from './helpers/browserless-login.js';
import { jsonApi } from './helpers/json-api.js';
import { testEngines } from './helpers/test-database.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
// any valid S256 challenge: these requests never reach the token endpoint
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGrSstw-cM';

/**
 * Each request here once answered 500 with a stack trace in the log (issue 10): bytes Postgres cannot
 * store (NUL, lone surrogates), ids and dates it cannot parse, and a disabled user's live browser session.
 * Bad input is the caller's mistake: 400 invalid_request on the OAuth endpoints, 400 INVALID_REQUEST on
 * the JSON API, a 404 for an id that cannot exist, a fresh sign-in for the disabled user.
 */
for (const engine of testEngines()) {
  describe(`bad input on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;
    let app: { clientId: string; secret: string };
    let auth: ReturnType<typeof jsonApi>;
    let admin: ReturnType<typeof jsonApi>;
    let adminToken: string;

    before(async () => {
      as = await startAuthServer(engine);
      const created = await as.createClient({ name: 'App', grant: 'authorization_code', redirectUris: [REDIRECT] });
      app = { clientId: created.client.client_id, secret: created.secret! };
      auth = jsonApi(`${as.issuer}/api/auth`);
      admin = jsonApi(`${as.issuer}/api/admin`);
      await as.createUser('root@example.com', 'admin');
      adminToken = (await auth('POST', '/login', { email: 'root@example.com', password: PASSWORD })).body.access_token;
    });
    after(() => as?.stop());

    const authorizeUrl = (extra: Record<string, string>) => {
      const url = new URL('/auth', as.issuer);
      url.search = new URLSearchParams({
        client_id: app.clientId,
        redirect_uri: REDIRECT,
        response_type: 'code',
        scope: 'openid',
        code_challenge: CHALLENGE,
        code_challenge_method: 'S256',
        ...extra,
      }).toString();
      return url.href;
    };
    const form = (path: string, fields: Record<string, string>, basic = true) =>
      fetch(`${as.issuer}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(basic ? { authorization: `Basic ${Buffer.from(`${app.clientId}:${app.secret}`).toString('base64')}` } : {}),
        },
        body: new URLSearchParams(fields).toString(),
      });
    const assertOAuthError = async (response: Response, what: string) => {
      const text = await response.text();
      assert.equal(response.status, 400, `${what}: ${text.slice(0, 300)}`);
      assert.match(response.headers.get('content-type') ?? '', /json/, what);
      assert.equal(JSON.parse(text).error, 'invalid_request', what);
    };

    for (const param of ['state', 'nonce', 'login_hint', 'ui_locales', 'acr_values', 'request_uri']) {
      it(`GET /auth with a NUL byte in ${param}: 400 invalid_request, shown as a page`, async () => {
        const response = await fetch(authorizeUrl({ [param]: 'a\u0000b' }), { redirect: 'manual' });
        const html = await response.text();
        assert.equal(response.status, 400, html.slice(0, 300));
        assert.match(html, /invalid_request/);
        assert.doesNotMatch(html, /at .*\.js:\d+/, 'no stack trace');
      });
    }

    it('POST /auth with a NUL byte in state: 400 invalid_request', async () => {
      const fields = Object.fromEntries(new URL(authorizeUrl({ state: 'a\u0000b' })).searchParams);
      const response = await form('/auth', fields, false);
      assert.equal(response.status, 400);
      assert.match(await response.text(), /invalid_request/);
    });

    it('POST /token with refresh_token=a%00b or code=a%00b: 400 invalid_request', async () => {
      await assertOAuthError(await form('/token', { grant_type: 'refresh_token', refresh_token: 'a\u0000b' }), 'refresh_token');
      await assertOAuthError(
        await form('/token', { grant_type: 'authorization_code', code: 'a\u0000b', redirect_uri: REDIRECT, code_verifier: 'x'.repeat(43) }),
        'code',
      );
    });

    it('introspection and revocation with a NUL token: 400 invalid_request', async () => {
      await assertOAuthError(await form('/token/introspection', { token: 'a\u0000b' }), 'introspection');
      await assertOAuthError(await form('/token/revocation', { token: 'a\u0000b' }), 'revocation');
    });

    it('a NUL in a form field name is refused too, and the token endpoint still works without it', async () => {
      const machine = await as.createClient({ name: 'Machine', grant: 'client_credentials', permissions: ['read'] });
      const basic = `Basic ${Buffer.from(`${machine.client.client_id}:${machine.secret}`).toString('base64')}`;
      const post = (body: string) =>
        fetch(`${as.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic }, body });
      await assertOAuthError(await post('grant_type=client_credentials&a%00b=x'), 'field name');
      const fine = await post('grant_type=client_credentials');
      assert.equal(fine.status, 200, await fine.clone().text());
      assert.ok(((await fine.json()) as { access_token?: string }).access_token, 'the body the guard read reached the provider');
    });

    it('an API key name with \\u0000: 400 INVALID_REQUEST', async () => {
      const r = await auth('POST', '/api-keys', { name: 'deploy\u0000script' }, adminToken);
      assert.deepEqual([r.status, r.body?.error], [400, 'INVALID_REQUEST']);
    });

    it('a lone surrogate in a JSON body: 400 INVALID_REQUEST (Postgres cannot store it in jsonb)', async () => {
      const r = await auth('POST', '/login', '{"email":"\\ud800@example.com","password":"x"}');
      assert.deepEqual([r.status, r.body?.error], [400, 'INVALID_REQUEST']);
      const key = await auth('POST', '/api-keys', '{"name":"a\\udc00"}', adminToken);
      assert.deepEqual([key.status, key.body?.error], [400, 'INVALID_REQUEST']);
    });

    it('DELETE and PATCH /api/admin/clients/a%00b: 400 INVALID_REQUEST', async () => {
      const deleted = await admin('DELETE', '/clients/a%00b', undefined, adminToken);
      assert.deepEqual([deleted.status, deleted.body?.error], [400, 'INVALID_REQUEST']);
      const patched = await admin('PATCH', '/clients/a%00b', { name: 'x' }, adminToken);
      assert.deepEqual([patched.status, patched.body?.error], [400, 'INVALID_REQUEST']);
      const secret = await admin('POST', '/clients/a%00b/secret', undefined, adminToken);
      assert.deepEqual([secret.status, secret.body?.error], [400, 'INVALID_REQUEST']);
    });

    it('GET /api/admin/audit-events with a date Postgres cannot hold: 400 INVALID_REQUEST', async () => {
      for (const since of ['-271821-04-20T00:00:00Z', '+275760-09-13T00:00:00Z', '10000-01-01', 'yesterday']) {
        const r = await admin('GET', `/audit-events?since=${encodeURIComponent(since)}`, undefined, adminToken);
        assert.deepEqual([r.status, r.body?.error], [400, 'INVALID_REQUEST'], since);
      }
      const fine = await admin(
        'GET',
        `/audit-events?since=2020-01-01T00:00:00Z&until=${encodeURIComponent('2999-12-31T23:59:59.999+01:00')}`,
        undefined,
        adminToken,
      );
      assert.equal(fine.status, 200, JSON.stringify(fine.body));
    });

    it('DELETE /api/auth/sessions/ with 36 characters that are no UUID: 404 SESSION_NOT_FOUND', async () => {
      for (const id of ['000000000000000000000000000000000000', '------------------------------------']) {
        const r = await auth('DELETE', `/sessions/${id}`, undefined, adminToken);
        assert.deepEqual([r.status, r.body?.error], [404, 'SESSION_NOT_FOUND'], id);
        const byAdmin = await admin('DELETE', `/sessions/${id}`, undefined, adminToken);
        assert.deepEqual([byAdmin.status, byAdmin.body?.error], [404, 'SESSION_NOT_FOUND'], id);
      }
    });

    it('the text \\u0000 (a backslash, not a NUL) typed as an email: a failed sign-in, audited as typed, not a 500', async () => {
      const typed = '\\u0000';
      const r = await auth('POST', '/login', { email: typed, password: 'wrong' });
      assert.deepEqual([r.status, r.body?.error], [401, 'INVALID_CREDENTIALS']);
      const jar = new CookieJar();
      const page = await follow(jar, authorizeUrl({}));
      const response = await request(
        jar,
        new URL(`${page.url.pathname}/login`, as.issuer).href,
        postForm({ csrf: csrfOf(page.html), email: typed, password: 'wrong' }),
      );
      assert.equal(response.status, 401, (await response.text()).slice(0, 300));
      const rows = await as.db.knex('audit_events').where({ event: 'login', outcome: 'failure' }).orderBy('id').select('details');
      assert.deepEqual(
        rows.map((row: { details: { email: string; via: string } }) => [row.details.email, row.details.via]).filter(([email]) => email === typed),
        [
          [typed, 'api'],
          [typed, 'page'],
        ],
      );
    });

    it('a disabled user with a live browser session who comes back to /auth is asked to sign in again', async () => {
      const user = await as.createUser('leaver@example.com');
      const jar = new CookieJar();
      const first = await follow(jar, authorizeUrl({ prompt: 'consent' }));
      assert.match(first.html, /name="password"/);
      let response = await request(
        jar,
        new URL(`${first.url.pathname}/login`, as.issuer).href,
        postForm({ csrf: csrfOf(first.html), email: 'leaver@example.com', password: PASSWORD }),
      );
      assert.equal(response.status, 303);
      const consent = await follow(jar, new URL(response.headers.get('location')!, as.issuer).href);
      response = await request(jar, new URL(`${consent.url.pathname}/confirm`, as.issuer).href, postForm({ csrf: csrfOf(consent.html) }));
      assert.equal(response.status, 303);
      const back = await follow(jar, new URL(response.headers.get('location')!, as.issuer).href);
      assert.ok(back.url.href.startsWith(REDIRECT) && back.url.searchParams.get('code'), 'signed in and back at the app with a code');

      await setAccountActive({ db: as.db.knex, config: as.config }, user.id, false);
      const again = await follow(jar, authorizeUrl({}));
      assert.equal(again.status, 200, again.html.slice(0, 300));
      assert.match(again.html, /name="password"/, 'the sign-in form, not an error');
      assert.doesNotMatch(again.html, /leaver@example\.com/, 'nothing of the disabled account is shown');
    });

    it('the server is healthy after all of that', async () => {
      assert.equal((await fetch(`${as.issuer}/readyz`)).status, 200);
      assert.doesNotMatch(as.server.output(), /"level":50/, 'nothing was logged at error level');
    });
  });
}

function postForm(fields: Record<string, string>): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() };
}

/** Follows redirects inside the server (stops at the app's redirect URI) and returns where it ended. */
async function follow(jar: CookieJar, start: string): Promise<{ url: URL; status: number; html: string }> {
  let url = new URL(start);
  for (let hop = 0; hop < 10; hop++) {
    if (url.href.startsWith(REDIRECT)) return { url, status: 0, html: '' };
    const response = await request(jar, url.href);
    const location = response.headers.get('location');
    if (!location || response.status < 300 || response.status >= 400) return { url, status: response.status, html: await response.text() };
    url = new URL(location, url);
  }
  throw new Error('too many redirects');
}
