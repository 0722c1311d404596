import type { Knex } from 'knex';
import { statement, write } from '../db/deferred-writes.js';
import { readAlongJoin, readAlongRow, type ReadAlong } from '../db/read-along.js';
import { runStatement } from '../db/run-statement.js';

export interface Bucket {
  key: string;
  burst: number;
  perHour: number;
}

export type TakeResult = { taken: true } | { taken: false; retryAfterSeconds: number };

const HOUR_MS = 3_600_000;

/**
 * Takes one token from every bucket, or from none when any of them holds less than one (the
 * login_throttle_take function of migration 004: one round trip, row locks, all or nothing).
 * A bucket holds min(burst, tokens + elapsed × per_hour) at `now`; no row means a full bucket.
 * `readAlong` goes in the same statement (a sign-in's account); its result is `read`, whether or not the
 * take succeeded. The take is materialised, so it runs once whatever the read joins.
 */
export async function takeTokens<R = undefined>(db: Knex, buckets: readonly Bucket[], now: Date, readAlong?: ReadAlong<R>): Promise<TakeResult & { read: R }> {
  const take = 'select login_throttle_take(?::text[], ?::float8[], ?::float8[], ?::timestamptz) as wait';
  const bindings = [buckets.map((b) => b.key), buckets.map((b) => b.burst), buckets.map((b) => b.perHour / HOUR_MS), now];
  const { rows } = readAlong
    ? await runStatement<Record<string, unknown>>(
        db,
        `with taken as materialized (${take}) select taken.wait, read_along.* from taken ${readAlongJoin(readAlong)}`,
        [...bindings, ...readAlong.bindings],
      )
    : await runStatement<Record<string, unknown>>(db, take, bindings);
  const row = rows[0]!;
  const read = (readAlong ? readAlong.map(readAlongRow(row, ['wait'])) : undefined) as R;
  const wait = Number(row.wait);
  return wait === 0 ? { taken: true, read } : { taken: false, retryAfterSeconds: wait, read };
}

/** Gives back the token a check took (it succeeded), never filling a bucket beyond its burst. */
export async function returnTokens(db: Knex, buckets: readonly Bucket[]): Promise<void> {
  await write(
    db,
    statement(
      `update login_throttle_buckets b set tokens = least(u.burst, b.tokens + 1)
         from unnest(?::text[], ?::float8[]) as u(key, burst) where b.key = u.key`,
      [buckets.map((b) => b.key), buckets.map((b) => b.burst)],
    ),
  );
}

/** Deletes buckets untouched since `before`: by then they are full again, which is what no row means. */
export async function deleteIdleBuckets(db: Knex, before: Date): Promise<number> {
  const { rowCount } = await runStatement(db, 'delete from login_throttle_buckets where updated_at < ?', [before]);
  return rowCount ?? 0;
}
