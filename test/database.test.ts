import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { authenticate, changeRole, createAccount, setAccountActive, type AccountsContext } from '../src/accounts/accounts-service.js';
import { findUserById } from '../src/accounts/users-repository.js';
import { hashParameters } from '../src/accounts/password-hashing.js';
import { loadConfig } from '../src/config/load-config.js';
import { createLoginThrottle } from '../src/login-throttle/login-throttle.js';
import { migrateToLatest, migrationStatus, rollbackAll } from '../src/db/migrations.js';
import type { Database } from '../src/db/open-database.js';
import { createTestDatabase, testEngines, type TestDatabase } from './helpers/test-database.js';

const config = loadConfig({});

async function tables(knex: Knex): Promise<string[]> {
  const { rows } = await knex.raw<{ rows: { table_name: string }[] }>(
    "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
  );
  return rows.map((r) => r.table_name);
}

for (const engine of testEngines()) {
  describe(`database on ${engine}`, () => {
    let testDb: TestDatabase;
    let database: Database;
    let accounts: AccountsContext;

    before(async () => {
      testDb = await createTestDatabase(engine);
      database = await testDb.open();
      accounts = { db: database.knex, config };
    });
    after(async () => {
      await database?.close();
      await testDb?.drop();
    });

    describe('migrations', () => {
      it('go up, down and up again', async () => {
        const applied = await migrateToLatest(database.knex);
        assert.ok(applied.length >= 1);
        assert.ok((await tables(database.knex)).includes('users'));
        assert.ok((await tables(database.knex)).includes('audit_events'));
        assert.deepEqual((await migrationStatus(database.knex)).pending, []);

        const reverted = await rollbackAll(database.knex);
        assert.deepEqual([...reverted].sort(), [...applied].sort());
        const left = (await tables(database.knex)).filter((t) => !t.startsWith('knex_migrations'));
        assert.deepEqual(left, []);
        assert.equal((await migrationStatus(database.knex)).pending.length, applied.length);

        assert.deepEqual(await migrateToLatest(database.knex), applied);
        assert.deepEqual(await migrateToLatest(database.knex), [], 'a second run applies nothing');
      });
    });

    describe('accounts', () => {
      before(() => migrateToLatest(database.knex));
      /** A sign-in through the login throttle, as every route makes it; the user or undefined. */
      const signIn = async (ctx: AccountsContext, email: string, password: string) => {
        const throttle = createLoginThrottle({
          db: ctx.db,
          settings: config.auth.login_throttle,
          serverSecret: 'test-secret-that-is-long-enough-for-auth-connect',
        });
        const result = await authenticate(ctx, throttle, { email, password }, { address: '127.0.0.1' }, { via: 'api', clientId: null });
        return result.outcome === 'signed_in' ? result.user : undefined;
      };

      it('creates a user with the default role and a hash carrying its parameters', async () => {
        const user = await createAccount(accounts, { email: ' New.User@Example.com ', password: 'Secret123' });
        assert.equal(user.email, 'new.user@example.com');
        assert.equal(user.role, 'student');
        assert.equal(user.is_active, true);
        assert.match(user.password_hash, /^\$argon2id\$v=19\$(?=[^$]*m=19456)(?=[^$]*t=2)(?=[^$]*p=1)/);
      });

      it('refuses a second account for the same email in another case', async () => {
        await createAccount(accounts, { email: 'dup@example.com', password: 'Secret123' });
        await assert.rejects(createAccount(accounts, { email: 'DUP@Example.COM', password: 'Secret123' }), { code: 'USER_EXISTS', status: 409 });
      });

      it('refuses concurrent registrations of one email except one', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 5 }, () => createAccount(accounts, { email: 'race@example.com', password: 'Secret123' })),
        );
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of results.filter((r) => r.status === 'rejected')) assert.equal((r as PromiseRejectedResult).reason.code, 'USER_EXISTS');
      });

      it('refuses a weak password with every rule it misses, and an unknown role', async () => {
        await assert.rejects(
          createAccount(accounts, { email: 'weak@example.com', password: 'short' }),
          (e: any) => e.code === 'WEAK_PASSWORD' && e.violations.length === 3,
        );
        await assert.rejects(createAccount(accounts, { email: 'role@example.com', password: 'Secret123', role: 'teacher' }), { code: 'UNKNOWN_ROLE' });
      });

      it('authenticates by email in any case; unknown, wrong and disabled all give nothing', async () => {
        const user = await createAccount(accounts, { email: 'login@example.com', password: 'Secret123', role: 'instructor' });
        assert.equal((await signIn(accounts, 'LOGIN@example.com', 'Secret123'))?.id, user.id);
        assert.equal(await signIn(accounts, 'login@example.com', 'Secret124'), undefined);
        assert.equal(await signIn(accounts, 'nobody@example.com', 'Secret123'), undefined);
        assert.equal(await signIn(accounts, 'not an email', 'Secret123'), undefined);
        assert.equal(await signIn(accounts, 'login@example.com', 'x'.repeat(1 << 20)), undefined);
        await setAccountActive(accounts, user.id, false);
        assert.equal(await signIn(accounts, 'login@example.com', 'Secret123'), undefined);
        await setAccountActive(accounts, user.id, true);
        assert.equal((await signIn(accounts, 'login@example.com', 'Secret123'))?.id, user.id);
      });

      it('re-makes a hash made with weaker parameters at the next successful login', async () => {
        const user = await createAccount(accounts, { email: 'rehash@example.com', password: 'Secret123' });
        const stronger: AccountsContext = {
          db: database.knex,
          config: { ...config, auth: { ...config.auth, password: { ...config.auth.password, argon2: { memory_kib: 19456, iterations: 3, parallelism: 1 } } } },
        };
        assert.equal(await signIn(stronger, 'rehash@example.com', 'wrong'), undefined);
        assert.equal(hashParameters((await findUserById(database.knex, user.id))!.password_hash)?.iterations, 2, 'a failed login changes nothing');
        await signIn(stronger, 'rehash@example.com', 'Secret123');
        const stored = (await findUserById(database.knex, user.id))!.password_hash;
        assert.equal(hashParameters(stored)?.iterations, 3);
        assert.ok(await signIn(stronger, 'rehash@example.com', 'Secret123'), 'the new hash verifies');
      });

      it('audits every sign-in from the service, whichever front end asked: a failure with the email as typed, a success with the user', async () => {
        const user = await createAccount(accounts, { email: 'audited@example.com', password: 'Secret123' });
        await signIn(accounts, ' Audited@Example.com', 'wrong');
        await signIn(accounts, 'audited@example.com', 'Secret123');
        const rows = await database
          .knex('audit_events')
          .where({ event: 'login' })
          .whereRaw("details->>'email' = ? or user_id = ?", ['audited@example.com', user.id])
          .orderBy('id');
        assert.deepEqual(
          rows.map((r: { outcome: string; user_id: string | null; ip: string }) => [r.outcome, r.user_id, r.ip]),
          [
            ['failure', null, '127.0.0.1'],
            ['success', user.id, '127.0.0.1'],
          ],
        );
      });

      it('changes roles only to roles that exist', async () => {
        const user = await createAccount(accounts, { email: 'roles@example.com', password: 'Secret123' });
        assert.equal((await changeRole(accounts, user.id, 'admin')).role, 'admin');
        await assert.rejects(changeRole(accounts, user.id, 'root'), { code: 'UNKNOWN_ROLE' });
        await assert.rejects(changeRole(accounts, '00000000-0000-0000-0000-000000000000', 'admin'), { code: 'USER_NOT_FOUND' });
        await assert.rejects(changeRole(accounts, "' or 1=1 --", 'admin'), { code: 'USER_NOT_FOUND' });
      });
    });
  });
}

describe('the embedded database opened twice in one process', () => {
  // a server run inside another program (as the test suites run theirs) holds the lock with that process's pid
  it('refuses a second server and serves a CLI-style open through the first one, instead of taking the lock as stale', async () => {
    const testDb = await createTestDatabase('embedded', { migrated: true });
    const server = await testDb.open();
    try {
      await assert.rejects(testDb.open(), /already used by another auth-connect server \(pid \d+\)/);
      const beside = await testDb.openBeside();
      try {
        await beside.knex('users').insert({ email: 'beside@example.com', password_hash: 'x', role: 'student' });
        assert.equal((await server.knex('users').where({ email: 'beside@example.com' })).length, 1, 'one database: the server sees the write');
      } finally {
        await beside.close();
      }
    } finally {
      await server.close();
      await testDb.drop();
    }
  });
});
