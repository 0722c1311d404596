import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { CookieJar, csrfOf, request } from './helpers/browserless-login.js';
import { testEngines } from './helpers/test-database.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGrSstw-cM';
/** Generated values per parameter; every parameter of every endpoint gets this many. */
const RUNS_PER_PARAMETER = 10;
/** Requests in flight at once: the machine is shared, and the point is bad input, not load. */
const CONCURRENCY = 4;

/**
 * Strings that have broken servers before: NUL, unpaired UTF-16 surrogates (sent as the invalid UTF-8
 * they would encode to, or as JSON escapes), bidi and zero-width marks, 10 kB values, characters that
 * mean something in JSON, URLs, HTML or SQL, and arbitrary UTF-16.
 */
const hostile = fc.oneof(
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udc00y',
    '\udbff\udbff',
    '\u202eevil',
    '\u200f\u200b',
    '\ufeff',
    '"',
    '\\',
    '\\u0000',
    '{"a":[1,{}]}',
    '[]',
    'null',
    '%00',
    '%',
    '&=&',
    '<script>',
    "' or 1=1 --",
    '',
    ' ',
    '-1',
    '1e309',
    'ａｄｍｉｎ',
  ),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)), maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.tuple(fc.constantFrom('a', '\u0000', 'é', '\ud83d', '"'), fc.integer({ min: 10_000, max: 10_240 })).map(([c, n]) => c.repeat(n)),
);

/** Percent-encodes like a browser, except that a lone surrogate becomes the invalid UTF-8 it would be (WTF-8). */
function percentEncode(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    const pair = unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    if (pair) {
      out += encodeURIComponent(value.slice(i, i + 2));
      i++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += `%${(0xe0 | (unit >> 12)).toString(16)}%${(0x80 | ((unit >> 6) & 0x3f)).toString(16)}%${(0x80 | (unit & 0x3f)).toString(16)}`.toUpperCase();
    } else {
      out += encodeURIComponent(value[i]!);
    }
  }
  return out;
}
const encodeForm = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');

interface Endpoint {
  name: string;
  /** Answers errors as JSON `{ error, … }`. */
  json: boolean;
  params: string[];
  /** Parameters that are path segments. */
  pathParams?: string[];
  send(fuzzed: Record<string, string>): Promise<Response>;
}

for (const engine of testEngines()) {
  describe(`fuzzing every public endpoint on ${engine}`, function () {
    this.timeout(180_000);
    let as: TestAuthServer;
    const endpoints: Endpoint[] = [];

    before(async () => {
      as = await startAuthServer(engine);
      const issuer = as.issuer;
      await as.createUser('root@example.com', 'admin');
      const victim = await as.createUser('victim@example.com', 'student');
      const app = await as.createClient({ name: 'App', grant: 'authorization_code', redirectUris: [REDIRECT] });
      const machine = await as.createClient({ name: 'Machine', grant: 'client_credentials', permissions: ['read'] });
      const login = (await (
        await fetch(`${issuer}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'root@example.com', password: PASSWORD }),
        })
      ).json()) as { access_token: string; refresh_token: string };
      const token = login.access_token;
      const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
      const appAuth = basic(app.client.client_id, app.secret!);
      const machineAuth = basic(machine.client.client_id, machine.secret!);

      // a live sign-in interaction, to fuzz its forms with a valid cookie and CSRF token
      const jar = new CookieJar();
      const start = await request(
        jar,
        `${issuer}/auth?${new URLSearchParams({ client_id: app.client.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: CHALLENGE, code_challenge_method: 'S256' })}`,
      );
      const interactionPath = new URL(start.headers.get('location')!, issuer).pathname;
      const csrf = csrfOf(await (await request(jar, `${issuer}${interactionPath}`)).text());

      const form =
        (path: string, baseline: Record<string, string>, headers: Record<string, string> = {}) =>
        (fuzzed: Record<string, string>) =>
          fetch(`${issuer}${path}`, {
            method: 'POST',
            redirect: 'manual',
            headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
            body: encodeForm({ ...baseline, ...fuzzed }),
          });
      const query =
        (path: string, baseline: Record<string, string>, headers: Record<string, string> = {}) =>
        (fuzzed: Record<string, string>) =>
          fetch(`${issuer}${path}?${encodeForm({ ...baseline, ...fuzzed })}`, { redirect: 'manual', headers });
      const interactionForm = (action: string, baseline: Record<string, string>) => (fuzzed: Record<string, string>) =>
        fetch(`${issuer}${interactionPath}${action}`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
          body: encodeForm({ ...baseline, ...fuzzed }),
        });
      /** A JSON API call; `:name` in the path is filled from the fuzzed or baseline value of that name, the rest goes to the body (or the query for GET). */
      const api =
        (method: string, path: string, baseline: Record<string, unknown>, arrays: string[] = []) =>
        (fuzzed: Record<string, string>) => {
          const values: Record<string, unknown> = { ...baseline };
          for (const [k, v] of Object.entries(fuzzed)) values[k] = arrays.includes(k) ? [v] : v;
          const filled = path.replace(/:(\w+)/g, (_m, name: string) => {
            const value = String(values[name]);
            delete values[name];
            return percentEncode(value);
          });
          const inQuery = method === 'GET';
          const url = `${issuer}${filled}${inQuery && Object.keys(values).length ? `?${encodeForm(values as Record<string, string>)}` : ''}`;
          return fetch(url, {
            method,
            headers: { authorization: `Bearer ${token}`, ...(inQuery ? {} : { 'content-type': 'application/json' }) },
            body: inQuery ? undefined : JSON.stringify(values),
          });
        };
      const authorizeBaseline = {
        client_id: app.client.client_id,
        redirect_uri: REDIRECT,
        response_type: 'code',
        scope: 'openid',
        code_challenge: CHALLENGE,
        code_challenge_method: 'S256',
        state: 's',
      };
      const authorizeParams = [
        'client_id',
        'redirect_uri',
        'response_type',
        'response_mode',
        'scope',
        'state',
        'nonce',
        'code_challenge',
        'code_challenge_method',
        'prompt',
        'max_age',
        'login_hint',
        'ui_locales',
        'acr_values',
        'claims',
        'id_token_hint',
        'request',
        'request_uri',
        'resource',
      ];
      const uuid = '00000000-0000-4000-8000-000000000000';

      endpoints.push(
        { name: 'GET /auth', json: false, params: authorizeParams, send: query('/auth', authorizeBaseline) },
        { name: 'POST /auth', json: false, params: authorizeParams, send: form('/auth', authorizeBaseline) },
        {
          name: 'token authorization_code',
          json: true,
          params: ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'resource'],
          send: form(
            '/token',
            { grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT, code_verifier: 'v'.repeat(43) },
            { authorization: appAuth },
          ),
        },
        {
          name: 'token refresh_token',
          json: true,
          params: ['refresh_token', 'scope', 'resource', 'client_id'],
          send: form('/token', { grant_type: 'refresh_token', refresh_token: login.refresh_token.slice(0, -2), client_id: 'auth-connect' }),
        },
        {
          name: 'token client_credentials',
          json: true,
          params: ['scope', 'resource'],
          send: form('/token', { grant_type: 'client_credentials' }, { authorization: machineAuth }),
        },
        {
          name: 'token token-exchange',
          json: true,
          params: ['subject_token', 'subject_token_type', 'requested_token_type', 'scope', 'resource', 'client_id'],
          send: form('/token', {
            grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
            client_id: 'auth-connect',
            subject_token: 'ack_0000000000000000_x',
            subject_token_type: 'urn:auth-connect:params:token-type:api-key',
          }),
        },
        {
          name: 'token client_secret_post',
          json: true,
          params: ['client_id', 'client_secret'],
          send: form('/token', { grant_type: 'client_credentials', client_id: machine.client.client_id, client_secret: 'wrong' }),
        },
        { name: 'revocation', json: true, params: ['token', 'token_type_hint'], send: form('/token/revocation', { token: 'x' }, { authorization: appAuth }) },
        {
          name: 'introspection',
          json: true,
          params: ['token', 'token_type_hint'],
          send: form('/token/introspection', { token: 'x' }, { authorization: appAuth }),
        },
        { name: 'GET userinfo', json: true, params: ['access_token', 'claims'], send: query('/me', {}) },
        { name: 'POST userinfo', json: true, params: ['access_token'], send: form('/me', {}) },
        {
          name: 'end-session',
          json: false,
          params: ['id_token_hint', 'post_logout_redirect_uri', 'state', 'client_id', 'logout_hint', 'ui_locales'],
          send: query('/session/end', {}),
        },
        { name: 'end-session confirm', json: false, params: ['xsrf', 'logout'], send: form('/session/end/confirm', { xsrf: 'x', logout: 'yes' }) },
        {
          name: 'interaction page',
          json: false,
          params: ['uid'],
          send: (f) => fetch(`${issuer}/interaction/${percentEncode(f.uid!)}`, { redirect: 'manual', headers: { cookie: jar.header() } }),
        },
        {
          name: 'interaction login',
          json: false,
          params: ['email', 'password', 'csrf'],
          send: interactionForm('/login', { csrf, email: 'victim@example.com', password: 'wrong' }),
        },
        { name: 'interaction confirm', json: false, params: ['csrf', 'x'], send: interactionForm('/confirm', { csrf }) },
        { name: 'interaction abort', json: false, params: ['csrf'], send: interactionForm('/abort', { csrf: 'not-the-token' }) },
        {
          name: 'POST /api/auth/register',
          json: true,
          params: ['email', 'password'],
          send: api('POST', '/api/auth/register', { email: 'new@example.com', password: 'short' }),
        },
        {
          name: 'POST /api/auth/login',
          json: true,
          params: ['email', 'password', 'client_id'],
          send: api('POST', '/api/auth/login', { email: 'victim@example.com', password: 'wrong' }),
        },
        { name: 'POST /api/auth/refresh', json: true, params: ['refresh_token', 'client_id'], send: api('POST', '/api/auth/refresh', { refresh_token: 'x' }) },
        { name: 'POST /api/auth/logout', json: true, params: ['unexpected'], send: api('POST', '/api/auth/logout', {}) },
        { name: 'GET /api/auth/me', json: true, params: ['unexpected'], send: api('GET', '/api/auth/me', {}) },
        {
          name: 'PUT /api/auth/change-password',
          json: true,
          params: ['current_password', 'new_password'],
          send: api('PUT', '/api/auth/change-password', { current_password: 'wrong', new_password: 'x' }),
        },
        { name: 'GET /api/auth/sessions', json: true, params: ['unexpected'], send: api('GET', '/api/auth/sessions', {}) },
        { name: 'DELETE /api/auth/sessions/:id', json: true, params: ['id'], send: api('DELETE', '/api/auth/sessions/:id', { id: uuid }) },
        {
          name: 'POST /api/auth/api-keys',
          json: true,
          params: ['name', 'permissions'],
          send: api('POST', '/api/auth/api-keys', { name: 'k', permissions: ['not-held'] }, ['permissions']),
        },
        { name: 'GET /api/auth/api-keys', json: true, params: ['unexpected'], send: api('GET', '/api/auth/api-keys', {}) },
        { name: 'DELETE /api/auth/api-keys/:id', json: true, params: ['id'], send: api('DELETE', '/api/auth/api-keys/:id', { id: uuid }) },
        { name: 'GET /api/admin/users', json: true, params: ['search', 'role', 'limit', 'offset'], send: api('GET', '/api/admin/users', {}) },
        { name: 'GET /api/admin/users/:id', json: true, params: ['id'], send: api('GET', '/api/admin/users/:id', { id: victim.id }) },
        {
          name: 'POST /api/admin/users',
          json: true,
          params: ['email', 'password', 'role'],
          send: api('POST', '/api/admin/users', { email: 'made@example.com', password: 'short', role: 'guest' }),
        },
        {
          name: 'PATCH /api/admin/users/:id',
          json: true,
          params: ['id', 'role'],
          send: api('PATCH', '/api/admin/users/:id', { id: victim.id, role: 'no-such-role' }),
        },
        { name: 'DELETE /api/admin/users/:id/sessions', json: true, params: ['id'], send: api('DELETE', '/api/admin/users/:id/sessions', { id: uuid }) },
        { name: 'GET /api/admin/sessions', json: true, params: ['user_id', 'limit', 'offset'], send: api('GET', '/api/admin/sessions', {}) },
        { name: 'DELETE /api/admin/sessions/:id', json: true, params: ['id'], send: api('DELETE', '/api/admin/sessions/:id', { id: uuid }) },
        { name: 'GET /api/admin/clients', json: true, params: ['unexpected'], send: api('GET', '/api/admin/clients', {}) },
        {
          name: 'POST /api/admin/clients',
          json: true,
          params: ['name', 'grant', 'redirect_uris', 'post_logout_redirect_uris', 'permissions'],
          send: api(
            'POST',
            '/api/admin/clients',
            { name: 'c', grant: 'authorization_code', redirect_uris: ['https://app.example/cb'], permissions: ['no-such'] },
            ['redirect_uris', 'post_logout_redirect_uris', 'permissions'],
          ),
        },
        {
          name: 'PATCH /api/admin/clients/:id',
          json: true,
          params: ['id', 'name', 'redirect_uris', 'post_logout_redirect_uris', 'permissions'],
          send: api('PATCH', '/api/admin/clients/:id', { id: app.client.client_id, permissions: ['no-such'] }, [
            'redirect_uris',
            'post_logout_redirect_uris',
            'permissions',
          ]),
        },
        { name: 'DELETE /api/admin/clients/:id', json: true, params: ['id'], send: api('DELETE', '/api/admin/clients/:id', { id: 'no-such-client' }) },
        {
          name: 'POST /api/admin/clients/:id/secret',
          json: true,
          params: ['id'],
          send: api('POST', '/api/admin/clients/:id/secret', { id: 'no-such-client' }),
        },
        { name: 'GET /api/admin/api-keys', json: true, params: ['user_id'], send: api('GET', '/api/admin/api-keys', {}) },
        { name: 'DELETE /api/admin/api-keys/:id', json: true, params: ['id'], send: api('DELETE', '/api/admin/api-keys/:id', { id: uuid }) },
        { name: 'GET /api/admin/keys', json: true, params: ['unexpected'], send: api('GET', '/api/admin/keys', {}) },
        {
          name: 'GET /api/admin/audit-events',
          json: true,
          params: ['event', 'user_id', 'client_id', 'outcome', 'since', 'until', 'limit', 'offset'],
          send: api('GET', '/api/admin/audit-events', {}),
        },
      );
      for (const endpoint of endpoints) endpoint.pathParams = [...endpoint.name.matchAll(/:(\w+)/g)].map((m) => m[1]!);
      endpoints.find((e) => e.name === 'interaction page')!.pathParams = ['uid'];
    });
    after(() => as?.stop());
    /** Warnings and errors the server logged (the start-up warnings about generated keys and the test hashing cost aside). */
    const serverProblems = () =>
      as.server
        .output()
        .split('\n')
        .filter((line) => /"level":(40|50)/.test(line) && !line.includes('signing key') && !line.includes('UNSAFE_TEST_PASSWORD_HASHING'))
        .map((line) => line.slice(0, 2000));

    it('answers every generated string in every parameter without a 5xx, in JSON where the endpoint speaks JSON', async () => {
      const cases = endpoints.flatMap((endpoint) => endpoint.params.map((param) => ({ endpoint, param })));
      const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
      const check = async ({ endpoint, param }: (typeof cases)[number]) => {
        await fc.assert(
          fc.asyncProperty(hostile, async (value) => {
            // an empty path segment names another route (or none), which is not what this case is about
            fc.pre(value !== '' || !endpoint.pathParams?.includes(param));
            const response = await endpoint.send({ [param]: value });
            const text = await response.text();
            const where = `${endpoint.name}, ${param}=${JSON.stringify(value.slice(0, 60))}${value.length > 60 ? `… (${value.length})` : ''} → ${response.status}: ${text.slice(0, 200)}`;
            if (response.status >= 500) assert.fail(`${where}\nserver log:\n${serverProblems().slice(-3).join('\n')}`);
            // 431: Node itself refuses an oversized request line before the app sees it
            if (endpoint.json && response.status >= 400 && response.status !== 431) {
              assert.match(response.headers.get('content-type') ?? '', /application\/json/, where);
              assert.equal(typeof (JSON.parse(text) as { error?: unknown }).error, 'string', where);
            }
          }),
          { numRuns: RUNS_PER_PARAMETER, seed, endOnFailure: true },
        );
      };
      const queue = [...cases];
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let next = queue.shift(); next; next = queue.shift()) await check(next);
        }),
      );
      assert.ok(cases.length > 100, `${cases.length} endpoint parameters fuzzed`);
    });

    it('is healthy afterwards, with nothing logged at error level', async () => {
      assert.equal((await fetch(`${as.issuer}/readyz`)).status, 200);
      assert.deepEqual(
        serverProblems().filter((line) => line.includes('"level":50')),
        [],
      );
    });
  });
}
