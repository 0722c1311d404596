import type { Knex } from 'knex';
import { LRUCache } from 'lru-cache';
import type pg from 'pg';

/**
 * Runs one statement (`?` placeholders, as knex.raw takes them) straight on a connection of `db`'s pool:
 * the same pool, driver and result (node-postgres' `{ rows, rowCount }`) as `db.raw`, without knex's raw
 * builder and runner, which cost about as much CPU as node-postgres itself (measured: 115–130 µs against
 * 55–95 µs per statement). For the statements every token grant and login runs. Inside a transaction, or
 * with a binding knex must expand (a Raw or a query builder) or refuse (undefined), or an identifier
 * placeholder (`??`), it is db.raw.
 */
export async function runStatement<Row = Record<string, unknown>>(
  db: Knex,
  sql: string,
  bindings: readonly unknown[],
): Promise<pg.QueryResult<Row & pg.QueryResultRow>> {
  if (db.isTransaction || sql.includes('??') || !bindings.every(isPlainValue))
    return (await db.raw(sql, bindings as Knex.RawBinding[])) as pg.QueryResult<Row & pg.QueryResultRow>;
  return runOnPool<Row & pg.QueryResultRow>(db, { text: numbered(sql), values: bindings as unknown[] });
}

/** A query with `$n` placeholders on a connection of the pool, returned at once; unnamed, so PgBouncer's transaction pooling can run it anywhere. */
export async function runOnPool<Row extends pg.QueryResultRow>(db: Knex, query: { text: string; values?: unknown[] }): Promise<pg.QueryResult<Row>> {
  const connection = (await db.client.acquireConnection()) as pg.Client;
  try {
    return await connection.query<Row>({ text: query.text, values: query.values });
  } finally {
    await db.client.releaseConnection(connection);
  }
}

function isPlainValue(value: unknown): boolean {
  return value !== undefined && !(value !== null && typeof value === 'object' && typeof (value as { toSQL?: unknown }).toSQL === 'function');
}

// statements are mostly fixed strings; the deferred writes' combined statements vary, hence a bound
const numberedSql = new LRUCache<string, string>({ max: 500 });

/** `?` → `$1`, `$2`, … and `\?` → `?`, as knex's Postgres client numbers them. */
function numbered(sql: string): string {
  let text = numberedSql.get(sql);
  if (text === undefined) {
    let count = 0;
    text = sql.replace(/(\\*)(\?)/g, (_match, escapes: string) => (escapes.length % 2 ? '?' : `$${++count}`));
    numberedSql.set(sql, text);
  }
  return text;
}
