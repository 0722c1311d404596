import assert from 'node:assert/strict';
import { recordAudit } from '../src/audit/audit-log.js';
import { withDeferredWrites } from '../src/db/deferred-writes.js';
import type { Database } from '../src/db/open-database.js';
import { createTestDatabase, type TestDatabase } from './helpers/test-database.js';

/** Writes held back by withDeferredWrites go as one statement: all of them or none, after the work, even when it fails. */
describe('deferred writes (one statement for a request’s independent writes)', function () {
  this.timeout(60_000);
  let testDb: TestDatabase;
  let db: Database;
  const count = async (event: string) => Number((await db.knex('audit_events').where({ event }).count<{ count: string }[]>('* as count'))[0]!.count);

  before(async () => {
    testDb = await createTestDatabase('embedded', { migrated: true });
    db = await testDb.open();
  });
  after(async () => {
    await db?.close();
    await testDb?.drop();
  });

  it('holds the writes back until the work ends, then sends them together', async () => {
    await withDeferredWrites(db.knex, async () => {
      await recordAudit(db.knex, { event: 'deferred.one' });
      await recordAudit(db.knex, { event: 'deferred.two' });
      assert.equal(await count('deferred.one'), 0, 'not yet written while the work runs');
    });
    assert.equal(await count('deferred.one'), 1);
    assert.equal(await count('deferred.two'), 1);
  });

  it('writes all or none: one failing write takes the others with it', async () => {
    await assert.rejects(
      withDeferredWrites(db.knex, async () => {
        await recordAudit(db.knex, { event: 'deferred.kept-back' });
        await recordAudit(db.knex, { event: 'deferred.broken', userId: 'not-a-uuid' });
      }),
    );
    assert.equal(await count('deferred.kept-back'), 0);
  });

  it('sends what the work wrote before it failed, and reports the work’s failure', async () => {
    await assert.rejects(
      withDeferredWrites(db.knex, async () => {
        await recordAudit(db.knex, { event: 'deferred.before-failure' });
        throw new Error('the second step is needed');
      }),
      /the second step is needed/,
    );
    assert.equal(await count('deferred.before-failure'), 1);
  });

  it('writes at once outside it, and inside a transaction (another connection)', async () => {
    await recordAudit(db.knex, { event: 'deferred.outside' });
    assert.equal(await count('deferred.outside'), 1);
    await withDeferredWrites(db.knex, async () => {
      await db.knex.transaction((trx) => recordAudit(trx, { event: 'deferred.in-transaction' }));
    });
    assert.equal(await count('deferred.in-transaction'), 1);
  });
});
