import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import type { BrowserContext, Page, Response as PageResponse } from 'playwright-core';
import { startApi, type RunningApi } from '../examples/api/app.js';
import { startWebApp, type RunningWebApp } from '../examples/web-app/app.js';
import { API, freePort, PASSWORD, PERMISSIONS, ROLES, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { chromiumForSuite } from './helpers/browser.js';
import { testEngines } from './helpers/test-database.js';

const CLIENT_NAME = 'Example App';
const FAILED_LOGIN = 'The email or password is not correct. After repeated failures, sign-in pauses for a while.';

describe('in a browser:', function () {
  this.timeout(120_000);
  // one Chromium for both engines: each test opens a context of its own (openPage), so nothing carries over
  const chromium = chromiumForSuite();

  for (const engine of testEngines()) {
    describe(`the example app, the example API and our pages on ${engine}`, function () {
      this.timeout(120_000);
      // The pages and the browser's behaviour are the same code on either database, which the HTTP suites cover
      // on both; on the second database this suite runs the full sign-in and API call of one role only, to keep
      // the whole CI run under 5 minutes.
      const firstEngine = engine === testEngines()[0];
      const onFirstEngine = (firstEngine ? it : () => {}) as typeof it;
      let as: TestAuthServer;
      let api: RunningApi;
      let web: RunningWebApp;
      let client: { clientId: string; secret: string };
      let jwks: ReturnType<typeof createRemoteJWKSet>;
      let organization: string;
      let lastTokens: oidc.TokenEndpointResponse | undefined;

      before(async () => {
        as = await startAuthServer(engine);
        organization = as.config.auth.server.organization_name;
        jwks = createRemoteJWKSet(new URL(`${as.issuer}/jwks`));
        for (const role of ROLES) await as.createUser(`${role}@example.com`, role);
        // the app lives on another site than the issuer (localhost vs 127.0.0.1), as real apps do
        const webPort = await freePort();
        const webUrl = `http://localhost:${webPort}`;
        const created = await as.createClient({
          name: CLIENT_NAME,
          grant: 'authorization_code',
          redirectUris: [`${webUrl}/callback`],
          postLogoutRedirectUris: [`${webUrl}/`],
        });
        client = { clientId: created.client.client_id, secret: created.secret! };
        api = await startApi({ issuer: as.issuer });
        web = await startWebApp({
          issuer: as.issuer,
          clientId: client.clientId,
          clientSecret: client.secret,
          port: webPort,
          publicUrl: webUrl,
          apiUrl: api.url,
          onTokens: (tokens) => (lastTokens = tokens),
        });
        assert.equal(web.url, webUrl);
      });

      after(async () => {
        await web?.close();
        await api?.close();
        await as?.stop();
      });

      let context: BrowserContext;
      let page: Page;
      let dialogs: string[];

      async function openPage(options: { javaScriptEnabled?: boolean } = {}): Promise<Page> {
        context = await chromium().newContext({ javaScriptEnabled: options.javaScriptEnabled ?? true });
        page = await context.newPage();
        page.setDefaultTimeout(15_000);
        dialogs = [];
        page.on('dialog', (dialog) => {
          dialogs.push(dialog.message());
          void dialog.dismiss();
        });
        return page;
      }

      beforeEach(() => {
        lastTokens = undefined;
      });
      afterEach(async () => {
        await context?.close();
      });

      const onInteraction = (url: URL) => url.origin === as.issuer && url.pathname.startsWith('/interaction/');

      /** From the app's home page to our login page, through the app's "Log in" link. */
      async function startLogin(): Promise<void> {
        await page.goto(`${web.url}/`);
        await page.getByRole('link', { name: 'Log in' }).click();
        await page.waitForURL(onInteraction);
        assert.equal(await page.locator('h1').textContent(), 'Sign in');
      }

      async function submitLogin(email: string, password: string): Promise<void> {
        await page.getByLabel('Email').fill(email);
        await page.getByLabel('Password').fill(password);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForLoadState();
      }

      async function approveConsent(): Promise<string[]> {
        await page.waitForURL(onInteraction);
        assert.equal(await page.locator('h1').textContent(), 'Allow access?');
        assert.equal(await page.locator('.lead strong').textContent(), CLIENT_NAME, 'the consent page names the client');
        const items = await page.locator('.scopes li').allTextContents();
        assert.doesNotMatch(
          (await page.locator('.hint').textContent()) ?? '',
          /revoke this access at any time by signing out/,
          'no promise that signing out revokes',
        );
        await page.getByRole('button', { name: 'Allow' }).click();
        await page.waitForURL(`${web.url}/`);
        return items;
      }

      /** What the example app receives: the permissions it asks for (read, write, delete) that the role holds. */
      const granted = (role: string) => PERMISSIONS[role]!.filter((p) => ['read', 'write', 'delete'].includes(p));
      const DESCRIPTIONS: Record<string, string> = { read: 'Read courses and content', write: 'Create and edit content', delete: 'Delete content' };

      async function logIn(email: string): Promise<void> {
        await startLogin();
        await submitLogin(email, PASSWORD);
        await approveConsent();
        assert.equal(await page.locator('#email').textContent(), email);
      }

      for (const role of firstEngine ? ROLES : (['admin'] as const)) {
        it(`a ${role} logs in to the example app on our pages and calls the example API with the ${role}'s permissions`, async () => {
          await openPage();
          await startLogin();
          assert.equal(await page.locator('.brand').textContent(), organization, 'the organisation is named');
          assert.equal(await page.locator('.lead strong').textContent(), CLIENT_NAME, 'the login page names the client');
          assert.equal(await page.getByLabel('Email').getAttribute('type'), 'email');
          assert.equal(await page.getByLabel('Password').getAttribute('type'), 'password');

          await submitLogin(`${role}@example.com`, PASSWORD);
          const items = await approveConsent();
          assert.deepEqual(
            items.filter((item) => item.includes('(permission')),
            granted(role).map((p) => `${DESCRIPTIONS[p]} (permission "${p}")`),
            'the consent page lists each permission the app will receive, and only those',
          );
          assert.equal(await page.locator('#email').textContent(), `${role}@example.com`);
          assert.equal(await page.locator('#roles').textContent(), role);
          assert.equal(await page.locator('#permissions').textContent(), granted(role).join(', '));

          assert.ok(lastTokens, 'the app received tokens');
          const token = lastTokens.access_token;
          const { payload } = await jwtVerify(token, jwks, { issuer: as.issuer, audience: API, typ: 'at+jwt' });
          assert.deepEqual(payload.roles, [role]);
          assert.deepEqual(payload.permissions, granted(role));
          assert.equal(payload.client_id, client.clientId);

          await page.getByRole('link', { name: 'Call the API' }).click();
          await page.waitForURL(`${web.url}/api`);
          assert.equal(await page.locator('#api-status').textContent(), '200');
          const answer = JSON.parse((await page.locator('#api-result').textContent())!) as {
            notes: { text: string }[];
            user: { sub: string; roles: string[]; permissions: string[] };
          };
          assert.ok(answer.notes.length >= 1);
          assert.equal(answer.user.sub, payload.sub);
          assert.deepEqual(answer.user.roles, [role]);
          assert.deepEqual(answer.user.permissions, granted(role));

          const bearer = { authorization: `Bearer ${token}` };
          const stats = await fetch(`${api.url}/admin/stats`, { headers: bearer });
          if (role === 'admin') {
            assert.equal(stats.status, 200);
            assert.equal(typeof ((await stats.json()) as { notes: unknown }).notes, 'number');
          } else {
            assert.equal(stats.status, 403);
            assert.equal(((await stats.json()) as { error: string }).error, 'INSUFFICIENT_PERMISSIONS');
          }
          const write = await fetch(`${api.url}/notes`, {
            method: 'POST',
            headers: { ...bearer, 'content-type': 'application/json' },
            body: JSON.stringify({ text: `a note by ${role}` }),
          });
          assert.equal(write.status, PERMISSIONS[role]!.includes('write') ? 201 : 403);
          assert.equal(dialogs.length, 0);
        });
      }

      onFirstEngine('answers a wrong password and an unknown email with the same page, and the corrected form still works', async () => {
        await openPage();
        await startLogin();
        const statuses: number[] = [];
        page.on('response', (response) => {
          // the sign-in form's posts (the page also asks for passkey options as it loads)
          if (response.request().method() === 'POST' && onInteraction(new URL(response.url())) && new URL(response.url()).pathname.endsWith('/login'))
            statuses.push(response.status());
        });

        await submitLogin('student@example.com', 'Wrong-password-1');
        const wrongPassword = { alert: await page.getByRole('alert').textContent(), text: await page.locator('main').innerText() };
        assert.equal(wrongPassword.alert, FAILED_LOGIN);
        assert.equal(await page.getByLabel('Email').inputValue(), 'student@example.com', 'the email is kept');
        assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not sent back');
        assert.equal(await page.locator('#password:focus').count(), 1, 'focus is on the password field');
        assert.equal(await page.getByLabel('Email').getAttribute('aria-describedby'), 'login-error');

        await submitLogin('nobody@example.com', 'Wrong-password-1');
        const unknownEmail = { alert: await page.getByRole('alert').textContent(), text: await page.locator('main').innerText() };
        assert.deepEqual(unknownEmail, wrongPassword, 'an unknown email is not told apart from a wrong password');
        assert.deepEqual(statuses, [401, 401]);

        await submitLogin('student@example.com', PASSWORD);
        await approveConsent();
        assert.equal(await page.locator('#email').textContent(), 'student@example.com');
      });

      onFirstEngine('sends the security headers on the login page and sets only HttpOnly, SameSite cookies', async () => {
        await openPage();
        const setCookies: string[] = [];
        const pending: Promise<void>[] = [];
        page.on('response', (response: PageResponse) => {
          if (new URL(response.url()).origin !== as.issuer) return;
          pending.push(response.headerValues('set-cookie').then((values) => void setCookies.push(...values.flatMap((v) => v.split('\n')))));
        });
        const loginPage = await page.goto(`${web.url}/login`);
        assert.ok(loginPage && onInteraction(new URL(loginPage.url())), 'the app sent us to the login page');
        const headers = loginPage.headers();
        assert.match(headers['content-security-policy'] ?? '', /frame-ancestors 'none'/);
        assert.doesNotMatch(headers['content-security-policy'] ?? '', /script-src[^;]*'unsafe-inline'/);
        assert.equal(headers['x-frame-options'], 'DENY');
        assert.equal(headers['x-content-type-options'], 'nosniff');
        assert.equal(headers['referrer-policy'], 'no-referrer');
        assert.match(headers['cache-control'] ?? '', /no-store/);

        await submitLogin('guest@example.com', PASSWORD);
        await approveConsent();
        await Promise.all(pending);

        const names = setCookies.map((line) => line.split('=')[0]!.trim());
        for (const expected of ['_interaction', '_session', 'ac_csrf']) assert.ok(names.includes(expected), `${expected} was set (got ${names.join(', ')})`);
        for (const line of setCookies) {
          assert.match(line, /;\s*httponly/i, `HttpOnly: ${line.split('=')[0]}`);
          assert.match(line, /;\s*samesite=(lax|strict)/i, `SameSite: ${line.split('=')[0]}`);
        }
        const issuerHost = new URL(as.issuer).hostname;
        const cookies = (await context.cookies()).filter((cookie) => cookie.domain === issuerHost);
        assert.ok(cookies.length > 0);
        for (const cookie of cookies) {
          assert.equal(cookie.httpOnly, true, `${cookie.name} is HttpOnly`);
          assert.ok(cookie.sameSite === 'Lax' || cookie.sameSite === 'Strict', `${cookie.name} is SameSite (${cookie.sameSite})`);
        }
      });

      onFirstEngine('refuses to be framed by another origin (clickjacking)', async () => {
        // same site, other origin: cookies would flow, so only frame-ancestors / X-Frame-Options stand in the way
        const attacker = await serveHtml(
          (url) => `<!DOCTYPE html><title>attacker</title><iframe id="victim" src="${url}" width="600" height="600"></iframe>`,
          await authorizationUrl({}),
        );
        try {
          await openPage();
          const framed = page.waitForResponse((response) => onInteraction(new URL(response.url())) && response.request().frame() !== page.mainFrame());
          await page.goto(attacker.url);
          const response = await framed;
          assert.equal(response.status(), 200, 'the login page was requested inside the frame');
          assert.match(response.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/);

          const frame = (await (await page.locator('#victim').elementHandle())!.contentFrame())!;
          // the browser replaces a refused frame with its error page: wait until it has, then look inside
          await waitUntil(() => frame.url().startsWith('chrome-error:'), 5000);
          assert.ok(!onInteraction(new URL(frame.url())), `the frame shows ${frame.url()}, not our page`);
          assert.equal(await page.frameLocator('#victim').locator('input[name="password"]').count(), 0, 'no password field in the frame');
          for (const other of page.frames()) assert.equal(await other.locator('input[name="password"]').count(), 0);
        } finally {
          await attacker.close();
        }
      });

      onFirstEngine('renders a hostile login_hint and state escaped, and never runs them', async () => {
        await openPage();
        const hint = '"><svg onload=alert(1)>';
        const state = '<script>alert(2)</script>';
        await page.goto(await authorizationUrl({ login_hint: hint, state }));
        await page.waitForURL(onInteraction);
        assert.equal(await page.getByLabel('Email').inputValue(), hint, 'the email field holds the hint as text');
        assert.equal(await page.locator('svg').count(), 0);
        assert.equal(await page.locator('main script').count(), 0);
        assert.doesNotMatch(await page.content(), /<svg onload/);

        // and an error page that repeats a hostile client_id
        await page.goto(`${as.issuer}/auth?${new URLSearchParams({ client_id: '<img src=x onerror=alert(3)>', response_type: 'code', scope: 'openid' })}`);
        assert.equal(await page.locator('img').count(), 0);
        await page.waitForTimeout(200);
        assert.deepEqual(dialogs, [], 'no script ran');
      });

      onFirstEngine('logs out through our sign-out page and comes back to the app signed out', async () => {
        await openPage();
        await logIn('instructor@example.com');
        await page.getByRole('link', { name: 'Log out' }).click();
        await page.waitForURL((url) => url.origin === as.issuer && url.pathname.startsWith('/session/end'));
        assert.equal(await page.locator('h1').textContent(), 'Sign out');
        assert.match((await page.locator('.lead').textContent())!, new RegExp(CLIENT_NAME));
        await page.getByRole('button', { name: 'Yes, sign me out' }).click();
        await page.waitForURL(`${web.url}/`);
        assert.match(await page.locator('body').innerText(), /You are not signed in/);

        // the session at the issuer ended too: logging in again asks for the password
        await page.getByRole('link', { name: 'Log in' }).click();
        await page.waitForURL(onInteraction);
        assert.equal(await page.locator('h1').textContent(), 'Sign in');
      });

      onFirstEngine('offers Log out on every page of the example app while signed in, also after calling the API', async () => {
        await openPage();
        await logIn('student@example.com');
        for (const path of ['/', '/api', '/no-such-page']) {
          await page.goto(`${web.url}${path}`);
          assert.equal(await page.getByRole('link', { name: 'Log out' }).count(), 1, `Log out on ${path}`);
        }
        await page.goto(`${web.url}/api`);
        await page.getByRole('link', { name: 'Log out' }).click();
        await page.waitForURL((url) => url.origin === as.issuer && url.pathname.startsWith('/session/end'));
        await page.getByRole('button', { name: 'Yes, sign me out' }).click();
        await page.waitForURL(`${web.url}/`);
        assert.match(await page.locator('body').innerText(), /You are not signed in/);
        assert.equal(await page.getByRole('link', { name: 'Log out' }).count(), 0, 'signed out: no Log out');
      });

      onFirstEngine('shows a styled error page whose title says it is an error, with the code in small print', async () => {
        await openPage();
        await page.goto(
          `${as.issuer}/auth?${new URLSearchParams({ client_id: client.clientId, redirect_uri: 'https://elsewhere.example/cb', response_type: 'code', scope: 'openid' })}`,
        );
        assert.match(await page.title(), /^Error: This application is misconfigured/);
        assert.equal(await page.locator('h1').textContent(), 'This application is misconfigured');
        assert.match((await page.getByRole('alert').textContent())!, /has not registered, so you were not sent anywhere/);
        const detail = page.locator('.detail');
        assert.match((await detail.textContent())!, /invalid_redirect_uri/);
        const [alertSize, detailSize] = await Promise.all(
          [page.getByRole('alert'), detail].map((l) =>
            l.evaluate((e) => parseFloat((globalThis as unknown as { getComputedStyle(e: unknown): { fontSize: string } }).getComputedStyle(e).fontSize)),
          ),
        );
        assert.ok(detailSize! < alertSize!, `the detail (${detailSize}px) is smaller than the sentence (${alertSize}px)`);
      });

      /** Shows a page on `site` ('same' = the issuer's site, 'cross' = another) with a form that POSTs `params` to `action`, and submits it. */
      async function submitFormFrom(site: 'same' | 'cross', action: string, params: Record<string, string>): Promise<void> {
        const inputs = Object.entries(params)
          .map(([name, value]) => `<input type="hidden" name="${name}" value="${value.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}">`)
          .join('');
        const poster = await serveHtml(
          () => `<!DOCTYPE html><title>an app's page</title><form method="post" action="${action}">${inputs}<button type="submit">Continue</button></form>`,
          '',
        );
        try {
          // the issuer is 127.0.0.1; localhost is another site (the port does not count)
          const from = site === 'same' ? poster.url : poster.url.replace('127.0.0.1', 'localhost');
          await page.goto(from);
          await page.getByRole('button', { name: 'Continue' }).click();
          await page.waitForURL((url) => url.href !== from);
          await page.waitForLoadState();
        } finally {
          await poster.close();
        }
      }
      const authorizationForm = async () => Object.fromEntries(new URL(await authorizationUrl({})).searchParams);
      const backAtTheApp = () => new URL(page.url()).origin === web.url;

      onFirstEngine("a form POST to /auth finds the browser's sign-in, from the same site and from another one (cookies stay SameSite=Lax)", async () => {
        await openPage();
        await logIn('admin@example.com');
        for (const site of ['same', 'cross'] as const) {
          await submitFormFrom(site, `${as.issuer}/auth`, await authorizationForm());
          assert.ok(backAtTheApp(), `${site}-site POST: signed in already, straight back to the app (at ${page.url()})`);
          assert.ok(new URL(page.url()).searchParams.get('code'), 'with a code');
        }
      });

      onFirstEngine('a form POST to /session/end from another site asks to confirm and really signs the browser out', async () => {
        await openPage();
        await logIn('admin@example.com');
        await submitFormFrom('cross', `${as.issuer}/session/end`, { id_token_hint: lastTokens!.id_token!, post_logout_redirect_uri: `${web.url}/` });
        assert.equal(await page.locator('h1').textContent(), 'Sign out', `the sign-out page (at ${page.url()})`);
        assert.match((await page.locator('.lead').textContent())!, new RegExp(CLIENT_NAME));
        await page.getByRole('button', { name: 'Yes, sign me out' }).click();
        await page.waitForURL(`${web.url}/`);
        await submitFormFrom('same', `${as.issuer}/auth`, await authorizationForm());
        assert.ok(onInteraction(new URL(page.url())), 'signed out at the issuer: the next authorization request asks to sign in');
        assert.equal(await page.locator('h1').textContent(), 'Sign in');
      });

      onFirstEngine('brings a user who denies consent back to the app with access_denied', async () => {
        await openPage();
        await startLogin();
        await submitLogin('guest@example.com', PASSWORD);
        await page.waitForURL(onInteraction);
        await page.getByRole('button', { name: 'Deny' }).click();
        await page.waitForURL((url) => url.origin === web.url && url.pathname === '/callback');
        assert.match((await page.getByRole('alert').textContent())!, /access_denied/);
        assert.equal(lastTokens, undefined, 'no tokens');
        await page.goto(`${web.url}/`);
        assert.match(await page.locator('body').innerText(), /You are not signed in/);
      });

      onFirstEngine('works without JavaScript: the forms post on their own', async () => {
        await openPage({ javaScriptEnabled: false });
        await logIn('guest@example.com');
        assert.equal(await page.locator('#roles').textContent(), 'guest');
        await page.getByRole('link', { name: 'Call the API' }).click();
        await page.waitForURL(`${web.url}/api`);
        assert.equal(await page.locator('#api-status').textContent(), '200');
      });

      /** An authorization request for the example app's client, as the app would build it. */
      async function authorizationUrl(extra: Record<string, string>): Promise<string> {
        const verifier = oidc.randomPKCECodeVerifier();
        const params = new URLSearchParams({
          client_id: client.clientId,
          redirect_uri: `${web.url}/callback`,
          response_type: 'code',
          scope: 'openid email roles',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state: oidc.randomState(),
          ...extra,
        });
        return `${as.issuer}/auth?${params}`;
      }
    });
  }
});

/** A one-page site on another local port. */
async function serveHtml(html: (arg: string) => string, arg: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(html(arg.replace(/&/g, '&amp;').replace(/"/g, '&quot;')));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function waitUntil(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
