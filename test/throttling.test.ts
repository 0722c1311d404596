import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { packageRoot } from '../src/paths.js';
import { PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { CookieJar, authorizeWithoutBrowser, csrfOf, request } from './helpers/browserless-login.js';
import { requestFrom } from './helpers/from-address.js';
import { jsonApi, type ApiResponse } from './helpers/json-api.js';
import { testEngines } from './helpers/test-database.js';

/** A server whose auth_config.json switches registration off and sets tight throttles. */
function configWith(changes: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ac-config-'));
  cpSync(path.join(packageRoot, 'config'), dir, { recursive: true });
  const file = path.join(dir, 'auth_config.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ...changes }));
  return dir;
}

// Buckets that hardly refill while a test runs (one guess per hour), so every count below is exact; how
// buckets refill is tested with a controlled clock in login-throttle.test.ts.
const ACCOUNT_BURST = 10;
const ADDRESS_BURST = 30;
const DEVICE_BURST = 10;
const THROTTLE = {
  per_account: { burst: ACCOUNT_BURST, per_hour: 1 },
  per_address: { burst: ADDRESS_BURST, per_hour: 1 },
  known_device: { burst: DEVICE_BURST, per_hour: 1 },
};
const REDIRECT = 'http://127.0.0.1:9/callback';
const HOUR_MS = 3_600_000;

for (const engine of testEngines()) {
  describe(`throttling and lockout on ${engine}`, function () {
    this.timeout(180_000);
    let as: TestAuthServer;
    let api: ReturnType<typeof jsonApi>;
    const loginFrom = (address: string, body: Record<string, unknown>) => requestFrom(address, `${as.issuer}/api/auth/login`, 'POST', body);
    before(async () => {
      as = await startAuthServer(engine, {
        CONFIG_DIR: configWith({
          registration: { enabled: false },
          rate_limit: { login_per_minute: 100_000, register_per_minute: 3 },
          login_throttle: THROTTLE,
        }),
      });
      api = jsonApi(`${as.issuer}/api/auth`);
    });
    after(() => as?.stop());

    it('answers registration with 403 REGISTRATION_DISABLED when it is switched off, and 429 with Retry-After beyond the rate', async () => {
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push(await api('POST', '/register', { email: `r${i}@example.com`, password: PASSWORD }));
      assert.deepEqual(
        statuses.slice(0, 3).map((r) => [r.status, r.body.error]),
        Array(3).fill([403, 'REGISTRATION_DISABLED']),
      );
      const throttled = statuses[3]!;
      assert.equal(throttled.status, 429);
      assert.equal(throttled.body.error, 'TOO_MANY_REQUESTS');
      assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
    });

    it('checks at most the documented budget of 1,000 wrong passwords from three addresses, while the real user signs in from a known device', async () => {
      const email = 'victim@example.com';
      await as.createUser(email);
      const first = await loginFrom('127.0.0.1', { email, password: PASSWORD });
      assert.equal(first.status, 200);
      const deviceToken = first.body.device_token as string;
      assert.match(deviceToken, /^[\w-]{22}\.[0-9a-z]+\.[\w-]{43}$/);

      const started = Date.now();
      const statuses: number[] = [];
      let realUser: { known: ApiResponse; unknown: ApiResponse } | undefined;
      // one request at a time, round robin over the addresses: the embedded database multiplexes every
      // connection over one session and mixes up parallel statements (Postgres does not); parallel takes
      // from one bucket are tested against Postgres in login-throttle.test.ts
      const addresses = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];
      for (let sent = 0; sent < 1000; sent++) {
        if (sent === 300) {
          realUser = {
            known: await loginFrom('127.0.0.1', { email, password: PASSWORD, device_token: deviceToken }),
            unknown: await loginFrom('127.0.0.4', { email, password: PASSWORD }),
          };
        }
        const answer = await loginFrom(addresses[sent % 3]!, { email, password: `Wrong${sent}abc` });
        statuses.push(answer.status);
        if (answer.status === 429) assert.ok(Number(answer.headers.get('retry-after')) >= 1, 'a pause says how long');
      }
      const elapsedHours = (Date.now() - started) / HOUR_MS;

      assert.equal(statuses.length, 1000);
      assert.deepEqual([...new Set(statuses)].sort(), [401, 429], 'each attempt is a checked wrong password or a pause');
      const checked = statuses.filter((s) => s === 401).length;
      const bound = ACCOUNT_BURST + Math.floor(elapsedHours * THROTTLE.per_account.per_hour);
      assert.ok(checked <= bound, `${checked} guesses checked, the documented bound is ${bound}`);
      assert.equal(checked, ACCOUNT_BURST, 'the whole burst, not a guess more');
      const audited = await as.db
        .knex('audit_events')
        .where({ event: 'login', outcome: 'failure' })
        .whereRaw("details->>'email' = ? and details->>'paused' is null", [email])
        .count<{ count: string }[]>('* as count');
      assert.equal(Number(audited[0]!.count), checked, 'the server counted the same guesses');

      const { known, unknown } = realUser!;
      assert.equal(known.status, 200, 'the real user gets in from a known device during the attack');
      assert.ok(known.body.access_token);
      assert.equal(unknown.status, 429, 'an unknown device waits, even with the right password');
      assert.deepEqual(Object.keys(unknown.body).sort(), ['error', 'message']);
      assert.equal(unknown.body.error, 'TOO_MANY_REQUESTS');
      assert.match(unknown.body.message, /paused after repeated failures/);
      const again = await loginFrom('127.0.0.9', { email, password: PASSWORD, device_token: known.body.device_token });
      assert.equal(again.status, 200, 'the renewed device token works from anywhere');
    });

    it('pauses one client address after its budget, over every account, and no other address', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < ADDRESS_BURST + 10; i++)
        statuses.push((await loginFrom('127.0.0.5', { email: `sprayed${i}@example.com`, password: 'Wrong123abc' })).status);
      assert.equal(statuses.filter((s) => s === 401).length, ADDRESS_BURST);
      assert.deepEqual(statuses.slice(ADDRESS_BURST), Array(10).fill(429));
      assert.equal((await loginFrom('127.0.0.6', { email: 'sprayed0@example.com', password: 'Wrong123abc' })).status, 401, 'another address is not paused');
    });

    it('throttles wrong current passwords at change-password like logins, and the right one does not lift the pause', async () => {
      const email = 'changer@example.com';
      await as.createUser(email);
      const login = await loginFrom('127.0.0.7', { email, password: PASSWORD });
      const token = login.body.access_token as string;
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) {
        statuses.push(
          (
            await requestFrom(
              '127.0.0.7',
              `${as.issuer}/api/auth/change-password`,
              'PUT',
              { current_password: `Wrong${i}abc`, new_password: 'NewSecret456' },
              token,
            )
          ).status,
        );
      }
      // the calling session counts as a known device (its own budget), then the account's budget for strangers
      assert.equal(statuses.filter((s) => s === 401).length, DEVICE_BURST + ACCOUNT_BURST);
      assert.deepEqual(statuses.slice(DEVICE_BURST + ACCOUNT_BURST), Array(40 - DEVICE_BURST - ACCOUNT_BURST).fill(429));
      const right = await requestFrom(
        '127.0.0.7',
        `${as.issuer}/api/auth/change-password`,
        'PUT',
        { current_password: PASSWORD, new_password: 'NewSecret456' },
        token,
      );
      assert.equal(right.status, 429);
      assert.ok(Number(right.headers.get('retry-after')) >= 1);
      const still = await loginFrom('127.0.0.7', { email, password: PASSWORD, device_token: login.body.device_token });
      assert.equal(still.status, 200, 'the password did not change, and the known device still gets in');
    });

    it('lets a browser that signed in before through the login page while strangers are paused', async () => {
      const email = 'browser@example.com';
      await as.createUser(email);
      const { client } = await as.createClient({ name: 'Throttle App', grant: 'authorization_code', redirectUris: [REDIRECT], public: true, firstParty: true });
      const knownBrowser = new CookieJar();
      await authorizeWithoutBrowser(as.issuer, { clientId: client.client_id, redirectUri: REDIRECT, email, password: PASSWORD, jar: knownBrowser });
      assert.match(knownBrowser.header(), /ac_device=/, 'a successful sign-in leaves a device cookie');

      for (let i = 0; i <= ACCOUNT_BURST; i++) await loginFrom('127.0.0.8', { email, password: `Wrong${i}abc` });
      assert.equal((await loginFrom('127.0.0.8', { email, password: PASSWORD })).status, 429, 'the account is paused for strangers');

      const stranger = await submitLoginPage(as.issuer, new CookieJar(), client.client_id, email, PASSWORD);
      assert.equal(stranger.status, 429);
      assert.ok(Number(stranger.headers.get('retry-after')) >= 1);
      assert.match(await stranger.text(), /Sign-in is paused after repeated failures/);

      const known = await submitLoginPage(as.issuer, knownBrowser, client.client_id, email, PASSWORD);
      assert.equal(known.status, 303, 'the known browser signs in');

      const wrong = await submitLoginPage(as.issuer, new CookieJar(), client.client_id, 'nobody-here@example.com', 'Wrong123abc');
      assert.equal(wrong.status, 401);
      assert.match(await wrong.text(), /The email or password is not correct\. After repeated failures, sign-in pauses for a while\./);
    });
  });
}

/** Opens our login page for a fresh authorization request (prompt=login) and submits it; the form's answer. */
async function submitLoginPage(issuer: string, jar: CookieJar, clientId: string, email: string, password: string): Promise<Response> {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = new URL('/auth', issuer);
  url.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid',
    prompt: 'login',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  const start = await request(jar, url.href);
  const page = new URL(start.headers.get('location')!, issuer);
  assert.match(page.pathname, /^\/interaction\//);
  const html = await (await request(jar, page.href)).text();
  return request(jar, new URL(`${page.pathname}/login`, issuer).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: csrfOf(html), email, password }).toString(),
  });
}
