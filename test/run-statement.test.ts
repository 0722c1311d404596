import assert from 'node:assert/strict';
import type { Database } from '../src/db/open-database.js';
import { runStatement } from '../src/db/run-statement.js';
import { createTestDatabase, testEngines, type TestDatabase } from './helpers/test-database.js';

/** runStatement answers exactly as db.raw would, on the pool or, inside a transaction, on the transaction. */
for (const engine of testEngines()) {
  describe(`runStatement on ${engine} (statements without knex's runner)`, function () {
    this.timeout(60_000);
    let testDb: TestDatabase;
    let db: Database;

    before(async () => {
      testDb = await createTestDatabase(engine, { migrated: true });
      db = await testDb.open();
    });
    after(async () => {
      await db?.close();
      await testDb?.drop();
    });

    it('numbers ? as knex does, keeps an escaped \\? as a literal ?, and passes arrays, dates and nulls as they are', async () => {
      const at = new Date('2026-12-02T10:00:00Z');
      const sql = `select ?::int + ?::int as sum, '\\?'::text as mark, ?::text[] as list, ?::timestamptz as at, ?::text is null as missing`;
      const bindings = [2, 3, ['a', 'b'], at, null];
      const ours = await runStatement<Record<string, unknown>>(db.knex, sql, bindings);
      const knexs = (await db.knex.raw(sql, bindings)) as { rows: Record<string, unknown>[] };
      assert.deepEqual(ours.rows, [{ sum: 5, mark: '?', list: ['a', 'b'], at, missing: true }]);
      assert.deepEqual(ours.rows, knexs.rows, 'the same rows as db.raw');
    });

    it('runs inside a transaction on that transaction, and refuses an undefined binding as db.raw does', async () => {
      await db.knex.transaction(async (trx) => {
        await runStatement(trx, 'create temporary table run_statement_probe (n int) on commit drop', []);
        await runStatement(trx, 'insert into run_statement_probe values (?)', [7]);
        const { rows } = await runStatement<{ n: number }>(trx, 'select n from run_statement_probe', []);
        assert.deepEqual(rows, [{ n: 7 }], 'the temporary table exists only in the transaction’s connection');
      });
      await assert.rejects(runStatement(db.knex, 'select ?::int as n', [undefined]), /Undefined binding/);
    });
  });
}
