import type { Knex } from 'knex';

/**
 * The per-address request limits (src/http/rate-limiters.ts) on Postgres: rate-limiter-flexible's
 * RateLimiterPostgres counts in this table, so every instance sees the same counts. Created here, not by
 * the library at run time (tableCreated: true), so the server's role needs no DDL. The library writes
 * rows by position, so the columns are exactly its own: key ('<limit>:<address>'), points used in the
 * window, expire (the window's end, epoch milliseconds). The embedded database keeps its limits in
 * memory and leaves this table empty.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create table rate_limits (
    key varchar(255) primary key,
    points integer not null default 0,
    expire bigint
  )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rate_limits');
}
