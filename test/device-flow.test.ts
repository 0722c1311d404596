import assert from 'node:assert/strict';
import http from 'node:http';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { API, PERMISSIONS, PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { clientConfig, CookieJar, request } from './helpers/browserless-login.js';
import { configDirWith } from './helpers/config-dir.js';
import { approveDevice, xsrfOf } from './helpers/device-approval.js';
import { testEngines } from './helpers/test-database.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const CODE_ENTRIES_PER_MINUTE = 25;

interface DeviceLogin {
  tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  pages: string[];
  config: oidc.Configuration;
}

/** A device asks for a code (openid-client), a person approves it in a browser, the device polls for its tokens. */
async function deviceLogin(issuer: string, client: { clientId: string; secret?: string }, email: string, scope: string): Promise<DeviceLogin> {
  const config = await clientConfig(issuer, client.clientId, client.secret);
  const authorization = await oidc.initiateDeviceAuthorization(config, { scope });
  assert.equal(authorization.verification_uri, `${issuer}/device`);
  assert.match(authorization.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  const stop = new AbortController();
  // the server sends no interval, so RFC 8628's 5 s would apply; the test polls every second
  const polling = oidc.pollDeviceAuthorizationGrant(config, { ...authorization, interval: 1 }, undefined, { signal: stop.signal });
  polling.catch(() => {});
  try {
    const { pages } = await approveDevice(issuer, { userCode: authorization.user_code, email, password: PASSWORD });
    return { tokens: await polling, pages, config };
  } finally {
    stop.abort();
  }
}

/** A form POST from a chosen loopback address, so a rate limit counts it apart from the other tests. */
function postFormFrom(localAddress: string, url: string, body: Record<string, string>): Promise<{ status: number; retryAfter?: string; html: string }> {
  const payload = new URLSearchParams(body).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        localAddress,
        agent: false,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(payload), accept: 'text/html' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, html: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

for (const engine of testEngines()) {
  describe(`device authorization (RFC 8628) on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;

    before(async () => {
      as = await startAuthServer(engine, { CONFIG_DIR: configDirWith({ auth_config: { rate_limit: { user_code_per_minute: CODE_ENTRIES_PER_MINUTE } } }) });
    });
    after(() => as?.stop());

    it('advertises the device authorization endpoint and the grant', async () => {
      const discovery = (await (await fetch(`${as.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      assert.equal(discovery.device_authorization_endpoint, `${as.issuer}/device/auth`);
      assert.ok((discovery.grant_types_supported as string[]).includes(DEVICE_GRANT));
    });

    it('signs a user in on a first-party public device client through our pages: tokens with what the user holds, refresh works', async () => {
      await as.createUser('tv-owner@example.com', 'instructor');
      const { client } = await as.createClient({ name: 'Living-room TV', grant: 'device_code', public: true, firstParty: true });
      assert.deepEqual(client.metadata.grant_types, [DEVICE_GRANT, 'refresh_token']);
      const { tokens, pages } = await deviceLogin(as.issuer, { clientId: client.client_id }, 'tv-owner@example.com', 'openid email');
      assert.deepEqual(pages, ['code', 'confirm', 'login', 'done']);
      const claims = decodeJwt(tokens.access_token);
      assert.equal(claims.aud, API);
      assert.equal(claims.client_id, client.client_id);
      assert.deepEqual(claims.permissions, PERMISSIONS.instructor);
      assert.deepEqual(claims.roles, ['instructor']);
      assert.equal(tokens.claims()?.email, 'tv-owner@example.com');
      assert.ok(tokens.refresh_token, 'a first-party device client gets a refresh token');

      const config = await clientConfig(as.issuer, client.client_id);
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
      assert.deepEqual(decodeJwt(refreshed.access_token).permissions, PERMISSIONS.instructor);
      // the device login is a session of the user's, listed and ended like any other
      const sessions = await as.db.knex('user_sessions').where({ client_id: client.client_id }).whereNull('revoked_at');
      assert.equal(sessions.length, 1);
    });

    it('gives a third-party confidential device client no permission unless asked and consented', async () => {
      await as.createUser('cli-user@example.com', 'student');
      const { client, secret } = await as.createClient({ name: 'Someone else\u2019s CLI', grant: 'device_code' });
      assert.ok(secret);
      const unasked = await deviceLogin(as.issuer, { clientId: client.client_id, secret }, 'cli-user@example.com', 'openid');
      assert.deepEqual(unasked.pages, ['code', 'confirm', 'login', 'consent', 'done']);
      assert.deepEqual(decodeJwt(unasked.tokens.access_token).permissions, []);
      assert.equal(unasked.tokens.refresh_token, undefined, 'no offline_access asked: no refresh token for a third-party client');

      const asked = await deviceLogin(as.issuer, { clientId: client.client_id, secret }, 'cli-user@example.com', 'openid read write offline_access');
      const claims = decodeJwt(asked.tokens.access_token);
      assert.deepEqual(claims.permissions, ['read'], 'write is asked but not held by a student');
      assert.equal(claims.scope, 'openid read');
      assert.ok(asked.tokens.refresh_token);
    });

    it('tells the polling device access_denied when the person cancels on the confirmation page', async () => {
      await as.createUser('careful@example.com');
      const { client } = await as.createClient({ name: 'Unknown device', grant: 'device_code', public: true });
      const config = await clientConfig(as.issuer, client.client_id);
      const authorization = await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });
      const { pages, html } = await approveDevice(as.issuer, {
        userCode: authorization.user_code,
        email: 'careful@example.com',
        password: PASSWORD,
        cancel: true,
      });
      assert.deepEqual(pages, ['code', 'confirm', 'cancelled']);
      assert.match(html, /The device was not connected/);
      await assert.rejects(
        oidc.pollDeviceAuthorizationGrant(config, { ...authorization, interval: 1 }),
        (error: { error?: string }) => error.error === 'access_denied',
      );
    });

    it('serves the code pages in our layout with our CSP, says when a code is wrong, and refuses a form without its xsrf token', async () => {
      const jar = new CookieJar();
      const page = await request(jar, `${as.issuer}/device`);
      const html = await page.text();
      assert.equal(page.status, 200);
      assert.match(html, /<link rel="stylesheet" href="\/assets\/app.css">/);
      assert.doesNotMatch(html, /<script|onfocus=|style=/);
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.equal(page.headers.get('cache-control'), 'no-store');

      const post = (body: Record<string, string>) =>
        request(jar, `${as.issuer}/device`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(body).toString(),
        });
      const wrong = await post({ xsrf: xsrfOf(html), user_code: 'BCDF-GHJK' });
      const wrongHtml = await wrong.text();
      assert.match(wrongHtml, /That code is not valid/);
      assert.match(wrongHtml, /value="BCDF-GHJK"/, 'the code entered is shown again to correct it');

      // verification_uri_complete: the engine's self-submitting form, its one script allowed by hash only
      const complete = await request(new CookieJar(), `${as.issuer}/device?user_code=BCDF-GHJK`);
      assert.match(await complete.text(), /<noscript>[\s\S]*<button/);
      assert.match(complete.headers.get('content-security-policy') ?? '', /script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'(;|$)/);

      const forged = await post({ xsrf: 'not-the-token', user_code: 'BCDF-GHJK' });
      assert.equal(forged.status, 400);
      assert.doesNotMatch(await forged.text(), /That code is not valid/, 'a forged form never reaches the code lookup');
    });

    it("sends a code form posted without the page's session cookie (expired, blocked, or forged) back to a fresh form, never a 500", async () => {
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      for (const body of ['xsrf=x&user_code=BCDF-GHJK', '']) {
        const response = await fetch(`${as.issuer}/device`, { method: 'POST', headers: form, body, redirect: 'manual' });
        assert.equal(response.status, 303, `body ${JSON.stringify(body)}: ${response.status}`);
        assert.equal(new URL(response.headers.get('location') ?? '', as.issuer).pathname, '/device');
      }
      const again = await request(new CookieJar(), `${as.issuer}/device`);
      assert.equal(again.status, 200, 'the form is served, with a session of its own');
    });

    it(`limits code entries to ${CODE_ENTRIES_PER_MINUTE} a minute per address, with our page and Retry-After`, async () => {
      const results = [];
      for (let i = 0; i <= CODE_ENTRIES_PER_MINUTE; i++) results.push(await postFormFrom('127.0.0.9', `${as.issuer}/device`, { user_code: `BCDF-GH${i}` }));
      assert.ok(results.slice(0, CODE_ENTRIES_PER_MINUTE).every((r) => r.status !== 429));
      const limited = results.at(-1)!;
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.retryAfter) >= 1);
      assert.match(limited.html, /Too many codes/);
      const other = await postFormFrom('127.0.0.10', `${as.issuer}/device`, { user_code: 'BCDF-GHJK' });
      assert.notEqual(other.status, 429, 'another address has its own budget');
    });
  });
}
