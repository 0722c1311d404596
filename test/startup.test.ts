import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServerInProcess } from './helpers/in-process-server.js';
import { runCli, startServer } from './helpers/processes.js';
import { createTestDatabase } from './helpers/test-database.js';

const messages = (output: string) =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg: string; ms?: number });

/** Asserts `expected` appear in this order among the log messages, each a pattern. */
function assertInOrder(output: string, expected: RegExp[]): void {
  const lines = messages(output).map((m) => m.msg);
  let at = 0;
  for (const pattern of expected) {
    const found = lines.findIndex((line, i) => i >= at && pattern.test(line));
    assert.ok(found >= 0, `expected a line matching ${pattern} after line ${at} in:\n${lines.join('\n')}`);
    at = found + 1;
  }
}

const postJson = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A first start creates the embedded database (initdb): seconds alone, much longer beside other test processes. */
const FIRST_START_MS = 100_000;

describe('start-up', function () {
  this.timeout(300_000);

  // One server's life, to spend one first start (initdb) on three things: what a first start says, that what
  // the embedded database committed survives a SIGKILL (no shutdown, no checkpoint), and what a later start says.
  it('says what it does while it does it, with timings: creating the embedded database, migrating, keys; after a SIGKILL it opens it again with every commit kept', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ac-start-'));
    const env = { DATA_DIR: path.join(dataDir, 'data'), KEYS_DIR: path.join(dataDir, 'keys'), JWT_SECRET: 'x'.repeat(40) };
    const first = await startServer(env, FIRST_START_MS);
    const credentials = { email: 'survivor@example.com', password: 'Survivor-Passw0rd' };
    const registered = await postJson(`${first.url}/api/auth/register`, credentials);
    assert.equal(registered.status, 201, await registered.text());
    await first.stop('SIGKILL');
    assertInOrder(first.output(), [
      /^creating the embedded database in \S+ \(first start: this takes a few seconds\)…$/,
      /^embedded database in \S+ created in \d/,
      /^bringing the database schema up to date…$/,
      /^applied \d+ migration\(s\) in \d/,
      /^loading the signing keys from the database…$/,
      /^generated ES256 and RS256 signing key\(s\) in the database; in production create them beforehand with auth-connect keys generate$/,
      /^signing keys ready in \d[^:]*: 2 key\(s\), ES256 and RS256 generated$/,
      /^auth-connect listening on .*, started in \d/,
    ]);
    for (const m of messages(first.output()).filter((m) => / in \d/.test(m.msg) && !/listening/.test(m.msg))) assert.equal(typeof m.ms, 'number', m.msg);

    // the first start above is `npm start`'s process; the lines of a later start are the same in this one
    const second = await startServerInProcess(env);
    try {
      const login = await postJson(`${second.url}/api/auth/login`, credentials);
      assert.equal(login.status, 200, `the account registered before the kill signs in after it: ${await login.text()}`);
    } finally {
      await second.stop();
    }
    assertInOrder(second.output(), [
      /^opening the embedded database in \S+…$/,
      /^embedded database in \S+ ready in \d/,
      /^database schema up to date \(checked in \d/,
      /^signing keys ready in \d[^:]*: 2 key\(s\)$/,
      /listening/,
    ]);
    assert.doesNotMatch(second.output(), /creating the embedded database/);
    rmSync(dataDir, { recursive: true, force: true }); // 40 MB, left in the temporary directory by every run before
  });

  describe('config show runs the production checks npm start runs', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ac-prod-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const base = {
      NODE_ENV: 'production',
      DATA_DIR: path.join(dir, 'data'),
      KEYS_DIR: path.join(dir, 'keys'),
      ISSUER: 'https://id.example.com',
      JWT_SECRET: 'x'.repeat(40),
    };
    const refusals: [string, Record<string, string | undefined>, RegExp][] = [
      ['without JWT_SECRET', { JWT_SECRET: undefined }, /^auth-connect: JWT_SECRET is required when NODE_ENV=production/],
      [
        'with an http issuer on a public host',
        { ISSUER: 'http://id.example.com' },
        /^auth-connect: ISSUER=http:\/\/id\.example\.com: must be an https:\/\/ URL when NODE_ENV=production/,
      ],
    ];
    for (const [name, change, line] of refusals) {
      it(`both refuse ${name}, with the same line`, async () => {
        const env = { ...base, ...change };
        const shown = await runCli(['config', 'show'], env);
        assert.equal(shown.code, 1, shown.stdout);
        assert.match(shown.stderr, line);
        const started = await startServer(env).then(
          () => assert.fail('started'),
          (e: Error) => e.message,
        );
        assert.equal(started.trim().split('\n').at(-1), shown.stderr.trim(), 'the same sentence from both');
      });
    }

    // signing keys live in the database, which config show does not open: only the server refuses without them (server.test.ts)
    it('both accept a complete production setup, also with an http://localhost issuer', async () => {
      // an initialised empty database (copied, not created: initdb is not the subject here) for init to fill
      const db = await createTestDatabase('embedded');
      const withData = { ...base, DATA_DIR: db.runtime.dataDir };
      try {
        const keys = await runCli(['init'], withData);
        assert.equal(keys.code, 0, keys.stderr);
        for (const [i, issuer] of ['https://id.example.com', 'http://localhost:3000', 'http://127.0.0.1:3000'].entries()) {
          const env = { ...withData, ISSUER: issuer };
          const shown = await runCli(['config', 'show', '--json'], env);
          assert.equal(shown.code, 0, shown.stderr);
          assert.equal(JSON.parse(shown.stdout).runtime.issuer, issuer);
          // no load balancer to drain from here: stop at once rather than after production's 5 s; the first
          // start is `npm start`'s process, the other issuers only need the same start in this process
          const serverEnv = { ...env, SHUTDOWN_DRAIN_SECONDS: '0' };
          const server = i === 0 ? await startServer(serverEnv, FIRST_START_MS) : await startServerInProcess(serverEnv);
          assert.match(server.output(), new RegExp(`listening on ${issuer.replace(/[.]/g, '\\.')}`));
          await server.stop();
        }
      } finally {
        await db.drop();
      }
    });
  });
});
