import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packageRoot } from '../src/paths.js';
import { PASSWORD, startAuthServer, type TestAuthServer } from './helpers/auth-server.js';
import { jsonApi } from './helpers/json-api.js';
import { testEngines } from './helpers/test-database.js';

/** A server whose auth_config.json switches registration off and sets tight throttles. */
function configWith(changes: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ac-config-'));
  cpSync(path.join(packageRoot, 'config'), dir, { recursive: true });
  const file = path.join(dir, 'auth_config.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ...changes }));
  return dir;
}

for (const engine of testEngines()) {
  describe(`throttling and lockout on ${engine}`, function () {
    this.timeout(120_000);
    let as: TestAuthServer;
    let api: ReturnType<typeof jsonApi>;
    before(async () => {
      as = await startAuthServer(engine, {
        CONFIG_DIR: configWith({ registration: { enabled: false }, rate_limit: { login_per_minute: 1000, register_per_minute: 3 }, lockout: { max_failures: 60, base_minutes: 1, max_minutes: 15 } }),
      });
      api = jsonApi(`${as.issuer}/api/auth`);
    });
    after(() => as?.stop());

    it('answers registration with 403 REGISTRATION_DISABLED when it is switched off, and 429 with Retry-After beyond the rate', async () => {
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push(await api('POST', '/register', { email: `r${i}@example.com`, password: PASSWORD }));
      assert.deepEqual(statuses.slice(0, 3).map((r) => [r.status, r.body.error]), Array(3).fill([403, 'REGISTRATION_DISABLED']));
      const throttled = statuses[3]!;
      assert.equal(throttled.status, 429);
      assert.equal(throttled.body.error, 'TOO_MANY_REQUESTS');
      assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
    });

    it('counts 50 parallel wrong passwords without losing one, locks the account, and answers exactly like a wrong password', async () => {
      const user = await as.createUser('target@example.com', 'student');
      const answers = await Promise.all(Array.from({ length: 50 }, () => api('POST', '/login', { email: 'target@example.com', password: 'Wrong1234' })));
      assert.deepEqual([...new Set(answers.map((a) => a.status))], [401]);
      const counted = await as.db.knex('users').where({ id: user.id }).first();
      assert.equal(counted.failed_login_count, 50, 'no failure lost to the race');
      assert.equal(counted.locked_until, null, 'below max_failures');
      for (let i = 0; i < 10; i++) await api('POST', '/login', { email: 'target@example.com', password: 'Wrong1234' });
      const row = await as.db.knex('users').where({ id: user.id }).first();
      assert.equal(row.failed_login_count, 60);
      assert.ok(row.locked_until > new Date(), 'locked at max_failures');
      assert.ok(row.locked_until <= new Date(Date.now() + 15 * 60_000 + 5_000), 'never longer than max_minutes');

      const locked = await api('POST', '/login', { email: 'target@example.com', password: PASSWORD });
      assert.deepEqual([locked.status, locked.body], [401, { error: 'INVALID_CREDENTIALS', message: 'invalid email or password' }]);

      await as.db.knex('users').where({ id: user.id }).update({ locked_until: new Date(Date.now() - 1000) });
      assert.equal((await api('POST', '/login', { email: 'target@example.com', password: PASSWORD })).status, 200, 'the lock expires');
      assert.equal((await as.db.knex('users').where({ id: user.id }).first()).failed_login_count, 0, 'a success clears the count');
    });
  });
}
