import type { Knex } from 'knex';
import type pg from 'pg';
import { runOnPool } from '../db/run-statement.js';

/**
 * A pg-Pool-shaped client for rate-limiter-flexible that runs its queries on our knex pool without the
 * statement names it gives them. node-postgres prepares a named statement once per connection and later
 * only refers to it by name; behind PgBouncer in transaction pooling the next use can land on a server
 * connection that never saw it ("prepared statement … does not exist"), and the library's in-memory
 * insurance would hide the failure by counting per process. Unnamed, each query carries its own text.
 */
export function unnamedStatements(db: Knex): { query(config: pg.QueryConfig): Promise<pg.QueryResult> } {
  return { query: ({ text, values }) => runOnPool(db, { text, values }) };
}
