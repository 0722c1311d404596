import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { configDirWith } from './helpers/config-dir.js';
import { xsrfOf } from './helpers/device-approval.js';
import { requestFrom } from './helpers/from-address.js';
import type { ApiResponse } from './helpers/json-api.js';
import { startServer, type RunningServer } from './helpers/processes.js';

const LIMITS = { login_per_minute: 5, register_per_minute: 4, user_code_per_minute: 3 };
// buckets that do not refill while the test runs (one token an hour), so the counts below are exact
const ACCOUNT_BURST = 4;
const THROTTLE = {
  per_account: { burst: ACCOUNT_BURST, per_hour: 1 },
  per_address: { burst: 30, per_hour: 1 },
  known_device: { burst: 10, per_hour: 1 },
};

interface PageAnswer {
  status: number;
  headers: Headers;
  text: string;
  cookie: string;
}

/** A page request from a chosen loopback address (see helpers/from-address.ts), with an optional form and cookie. */
function pageFrom(localAddress: string, url: string, form?: Record<string, string>, cookie = ''): Promise<PageAnswer> {
  const payload = form ? new URLSearchParams(form).toString() : undefined;
  const headers = {
    accept: 'text/html',
    ...(cookie ? { cookie } : {}),
    ...(payload ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(payload)) } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: payload ? 'POST' : 'GET', localAddress, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const answer = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') answer.set(name, value);
        const setCookies = res.headers['set-cookie'] ?? [];
        resolve({
          status: res.statusCode ?? 0,
          headers: answer,
          text: Buffer.concat(chunks).toString('utf8'),
          cookie: setCookies.map((c) => c.split(';')[0]).join('; '),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** What a person (or a script) does to try a user code: open the code page, then post a code with its xsrf token. */
async function enterUserCode(origin: string, from: string, code: string): Promise<PageAnswer> {
  const page = await pageFrom(from, `${origin}/device`);
  return pageFrom(from, `${origin}/device`, { xsrf: xsrfOf(page.text), user_code: code }, page.cookie);
}

/**
 * Three auth-connect processes on one Postgres, as a deployment scales out: an attacker who spreads its
 * requests over them, round robin, gets no more than one instance's budget, for the per-address request
 * limits (counted in the rate_limits table) and for the password-guessing throttle (its token buckets).
 */
describe('limits across three server processes on one Postgres', function () {
  this.timeout(60_000);
  let a: TestAuthServer;
  const others: RunningServer[] = [];
  const dataDirs: string[] = [];
  let origins: string[];

  before(async function () {
    if (!process.env.TEST_DATABASE_URL) {
      console.warn('    skipping the shared-limits tests: they need Postgres (set TEST_DATABASE_URL)');
      this.skip();
    }
    a = await startAuthServer('postgres', { CONFIG_DIR: configDirWith({ auth_config: { rate_limit: LIMITS, login_throttle: THROTTLE } }) });
    // same database, keys, secret and configuration as A; each its own port and data directory
    const started = await Promise.all(
      [0, 1].map(async () => {
        const dataDir = mkdtempSync(path.join(tmpdir(), 'ac-data-limits-'));
        dataDirs.push(dataDir);
        return startServer({ ...a.env, PORT: String(await freePort()), DATA_DIR: dataDir });
      }),
    );
    others.push(...started);
    origins = [a.issuer, ...others.map((s) => s.url)];
  });
  after(async () => {
    await Promise.all(others.map((s) => s.stop()));
    await a?.stop();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  /** `count` requests from `address`, the i-th to instance i mod 3. */
  async function roundRobin(count: number, send: (origin: string, i: number) => Promise<{ status: number; headers: Headers }>) {
    const answers: { status: number; headers: Headers }[] = [];
    for (let i = 0; i < count; i++) answers.push(await send(origins[i % origins.length]!, i));
    return answers;
  }

  const limited = [
    {
      what: 'POST /api/auth/login',
      perMinute: LIMITS.login_per_minute,
      send: (origin: string, from: string, i: number) =>
        requestFrom(from, `${origin}/api/auth/login`, 'POST', { email: `nobody${i}@example.com`, password: 'Wrong123abc' }),
    },
    {
      what: 'POST /api/auth/register (a bad body)',
      perMinute: LIMITS.register_per_minute,
      send: (origin: string, from: string) => requestFrom(from, `${origin}/api/auth/register`, 'POST', {}),
    },
    {
      what: 'POST to the login page (no such interaction)',
      perMinute: LIMITS.login_per_minute,
      send: (origin: string, from: string) => pageFrom(from, `${origin}/interaction/no-such-interaction/login`, { email: 'a@example.com', password: 'x' }),
    },
    {
      what: 'POST /device (user code entry)',
      perMinute: LIMITS.user_code_per_minute,
      send: (origin: string, from: string, i: number) => enterUserCode(origin, from, `BCDF-GH${'JKLM'[i % 4]}${'NPQR'[i % 4]}`),
    },
  ];
  limited.forEach(({ what, perMinute, send }, n) => {
    it(`${what}: the request after the ${perMinute} of a minute gets 429, whichever instance it reaches`, async () => {
      const attacker = `127.0.2.${n + 1}`;
      const answers = await roundRobin(perMinute + 3, (origin, i) => send(origin, attacker, i));
      const statuses = answers.map((r) => r.status);
      assert.ok(
        statuses.slice(0, perMinute).every((s) => s < 500 && s !== 429),
        `the first ${perMinute} are answered by the route (4xx for a bad request or a wrong code): ${statuses.join(', ')}`,
      );
      assert.deepEqual(statuses.slice(perMinute), [429, 429, 429], `statuses: ${statuses.join(', ')}`);
      for (const answer of answers.slice(perMinute)) {
        const seconds = Number(answer.headers.get('retry-after'));
        assert.ok(seconds >= 1 && seconds <= 60, `Retry-After ${answer.headers.get('retry-after')}`);
      }
      const neighbour = await send(origins[perMinute % origins.length]!, `127.0.3.${n + 1}`, 0);
      assert.notEqual(neighbour.status, 429, 'another address has its own budget');
    });
  });

  it('the password-guessing throttle: one account takes its burst of wrong passwords over all three, then is paused on all three', async () => {
    const email = 'shared-victim@example.com';
    await a.createUser(email);
    // a new address for every guess: no per-address limit gets in the way, only the account's bucket counts
    const answers: ApiResponse[] = [];
    for (let i = 0; i < ACCOUNT_BURST + 3; i++) {
      answers.push(await requestFrom(`127.0.4.${i + 1}`, `${origins[i % origins.length]}/api/auth/login`, 'POST', { email, password: `Wrong${i}abc` }));
    }
    const statuses = answers.map((r) => r.status);
    assert.deepEqual(statuses, [...Array(ACCOUNT_BURST).fill(401), 429, 429, 429], `statuses: ${statuses.join(', ')}`);
    for (const paused of answers.slice(ACCOUNT_BURST)) {
      assert.match(paused.body.message, /paused after repeated failures/);
      assert.ok(Number(paused.headers.get('retry-after')) >= 1);
    }
    const right = await requestFrom('127.0.4.200', `${origins[1]}/api/auth/login`, 'POST', { email, password: PASSWORD });
    assert.equal(right.status, 429, 'the right password from a stranger waits too, on another instance');
  });
});
