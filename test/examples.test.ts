import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import * as oidc from 'openid-client';
import { startApi, type RunningApi } from '../examples/api/app.js';
import { escapeHtml, SCOPE, startWebApp, type RunningWebApp } from '../examples/web-app/app.js';
import { packageRoot } from '../src/paths.js';
import { freePort, PASSWORD, ROLES, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { authorizeWithoutBrowser, clientConfig } from './helpers/browserless-login.js';
import { testEngines } from './helpers/test-database.js';

const REDIRECT = 'http://127.0.0.1:9/callback';

// The examples without a browser (test/browser.test.ts drives them through Chromium): the API's answers
// for every role, the web app's protocol steps, and both `main` entry points the README runs.
for (const engine of testEngines()) {
  describe(`examples (API and web app) on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;
    let api: RunningApi;
    const tokens = new Map<string, string>();

    before(async () => {
      as = await startAuthServer(engine);
      for (const role of ROLES) await as.createUser(`${role}@example.com`, role);
      const { client, secret } = await as.createClient({ name: 'Examples', grant: 'authorization_code', redirectUris: [REDIRECT] });
      const config = await clientConfig(as.issuer, client.client_id, secret);
      for (const role of ROLES) {
        const flow = await authorizeWithoutBrowser(as.issuer, {
          clientId: client.client_id,
          redirectUri: REDIRECT,
          email: `${role}@example.com`,
          password: PASSWORD,
          scope: SCOPE,
        });
        const answer = await oidc.authorizationCodeGrant(config, flow.callback, {
          pkceCodeVerifier: flow.codeVerifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
        });
        tokens.set(role, answer.access_token);
      }
      api = await startApi({ issuer: as.issuer });
    });
    after(async () => {
      await api?.close();
      await as?.stop();
    });

    const call = (method: string, route: string, role?: string, body?: unknown) =>
      fetch(`${api.url}${route}`, {
        method,
        headers: { ...(role ? { authorization: `Bearer ${tokens.get(role)}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    it('API: refuses a request without a token or with a bad one (401 with a Bearer challenge)', async () => {
      const none = await call('GET', '/notes');
      assert.equal(none.status, 401);
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer realm="api"$/);
      assert.equal(((await none.json()) as { error: string }).error, 'INVALID_TOKEN');
      const bad = await fetch(`${api.url}/notes`, { headers: { authorization: `Bearer ${tokens.get('admin')!.slice(0, -6)}AAAAAA` } });
      assert.equal(bad.status, 401);
      assert.match(bad.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    });

    it('API: each route asks for its permission or role', async () => {
      const expected: Record<string, { read: number; write: number; remove: number; stats: number }> = {
        admin: { read: 200, write: 201, remove: 204, stats: 200 },
        instructor: { read: 200, write: 201, remove: 403, stats: 403 },
        student: { read: 200, write: 403, remove: 403, stats: 403 },
        guest: { read: 200, write: 403, remove: 403, stats: 403 },
      };
      for (const role of ROLES) {
        const read = await call('GET', '/notes', role);
        assert.equal(read.status, expected[role]!.read, `${role} GET /notes`);
        const body = (await read.json()) as { notes: unknown[]; user: { roles: string[] } };
        assert.ok(Array.isArray(body.notes));
        assert.deepEqual(body.user.roles, [role]);

        const write = await call('POST', '/notes', role, { text: `from ${role}` });
        assert.equal(write.status, expected[role]!.write, `${role} POST /notes`);
        const created = write.status === 201 ? ((await write.json()) as { id: number }) : undefined;
        if (!created) assert.equal(((await write.json()) as { error: string }).error, 'INSUFFICIENT_PERMISSIONS');

        const remove = await call('DELETE', `/notes/${created?.id ?? 1}`, role);
        assert.equal(remove.status, expected[role]!.remove, `${role} DELETE /notes/:id`);
        const stats = await call('GET', '/admin/stats', role);
        assert.equal(stats.status, expected[role]!.stats, `${role} GET /admin/stats`);
      }
    });

    it('API: answers bad input with 4xx JSON, never a 500', async () => {
      assert.equal((await call('POST', '/notes', 'admin', { text: '' })).status, 400);
      assert.equal((await call('POST', '/notes', 'admin', 'not an object')).status, 400);
      const notJson = await fetch(`${api.url}/notes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.get('admin')}`, 'content-type': 'application/json' },
        body: '{',
      });
      assert.equal(notJson.status, 400);
      assert.equal(((await notJson.json()) as { error: string }).error, 'INVALID_REQUEST');
      const big = await fetch(`${api.url}/notes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.get('admin')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'x'.repeat(20_000) }),
      });
      assert.equal(big.status, 413);
      assert.equal((await call('DELETE', '/notes/999999', 'admin')).status, 404);
      assert.equal((await call('GET', '/nowhere', 'admin')).status, 404);
    });

    describe('web app', () => {
      let web: RunningWebApp;
      before(async () => {
        const port = await freePort();
        const url = `http://127.0.0.1:${port}`;
        const { client, secret } = await as.createClient({
          name: 'Example App',
          grant: 'authorization_code',
          redirectUris: [`${url}/callback`],
          postLogoutRedirectUris: [`${url}/`],
        });
        web = await startWebApp({ issuer: as.issuer, clientId: client.client_id, clientSecret: secret, port, apiUrl: api.url });
        assert.equal(web.url, url);
      });
      after(() => web?.close());

      it('sends the browser to the issuer with PKCE S256, state and nonce, keeping them server-side', async () => {
        const home = await fetch(`${web.url}/`);
        assert.match(await home.text(), /href="\/login">Log in</);
        const login = await fetch(`${web.url}/login`, { redirect: 'manual' });
        assert.equal(login.status, 303);
        const location = new URL(login.headers.get('location')!);
        assert.equal(`${location.origin}${location.pathname}`, `${as.issuer}/auth`);
        const params = location.searchParams;
        assert.equal(params.get('response_type'), 'code');
        assert.equal(params.get('code_challenge_method'), 'S256');
        assert.match(params.get('code_challenge') ?? '', /^[\w-]{43}$/);
        assert.ok(params.get('state') && params.get('nonce'));
        assert.equal(params.get('redirect_uri'), `${web.url}/callback`);
        assert.equal(params.get('scope'), 'openid email roles offline_access read write delete');
        const cookie = login.headers.getSetCookie()[0] ?? '';
        assert.match(cookie, /HttpOnly/);
        assert.match(cookie, /SameSite=Lax/);
        assert.ok(!cookie.includes(params.get('state')!), 'the state is not in the cookie');
      });

      it('refuses a callback it did not start', async () => {
        const response = await fetch(`${web.url}/callback?code=abc&state=xyz`);
        assert.equal(response.status, 400);
        assert.match(await response.text(), /not started here/);
      });

      it('escapes what it shows', () => {
        assert.equal(escapeHtml(`<a href="x" onclick='y'>&</a>`), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
      });
    });

    describe('entry points (as the README runs them)', () => {
      it('examples/api/main.js serves the API from ISSUER and PORT', async () => {
        const port = await freePort();
        const child = await runExample('api', { ISSUER: as.issuer, PORT: String(port) }, /listening on (\S+)/);
        try {
          assert.equal(child.match[1], `http://127.0.0.1:${port}`);
          const response = await fetch(`${child.match[1]}/notes`, { headers: { authorization: `Bearer ${tokens.get('guest')}` } });
          assert.equal(response.status, 200);
        } finally {
          assert.equal(await child.stop(), 0);
        }
      });

      it('examples/web-app/main.js starts from CLIENT_ID, CLIENT_SECRET, ISSUER and PORT, and needs CLIENT_ID', async () => {
        const port = await freePort();
        const url = `http://127.0.0.1:${port}`;
        const { client, secret } = await as.createClient({ name: 'Example App (main)', grant: 'authorization_code', redirectUris: [`${url}/callback`] });
        const child = await runExample(
          'web-app',
          { ISSUER: as.issuer, PORT: String(port), CLIENT_ID: client.client_id, CLIENT_SECRET: secret! },
          /example web app on (\S+)/,
        );
        try {
          assert.equal(child.match[1], url);
          const login = await fetch(`${url}/login`, { redirect: 'manual' });
          assert.equal(login.status, 303);
          assert.ok(login.headers.get('location')!.startsWith(`${as.issuer}/auth?`));
        } finally {
          assert.equal(await child.stop(), 0);
        }
        const missing = await runExample('web-app', { ISSUER: as.issuer, PORT: String(port) }, /CLIENT_ID/).catch((error: Error) => error);
        assert.ok(missing instanceof Error && /exited with 2/.test(missing.message) && /set CLIENT_ID/.test(missing.message), String(missing));
      });
    });
  });
}

interface ExampleProcess {
  match: RegExpExecArray;
  stop(): Promise<number | null>;
}

/** Runs dist/examples/<name>/main.js and waits for a stdout line matching `ready`. */
function runExample(name: string, env: Record<string, string>, ready: RegExp): Promise<ExampleProcess> {
  const script = path.join(packageRoot, 'dist', 'examples', name, 'main.js');
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [script], {
      cwd: packageRoot,
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start:\n${stdout}${stderr}`));
    }, 15_000);
    child.stdout!.on('data', (data: Buffer) => {
      stdout += data.toString();
      const match = ready.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({
          match,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${stdout}${stderr}`));
    });
  });
}
