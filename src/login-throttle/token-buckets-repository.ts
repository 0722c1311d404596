import type { Knex } from 'knex';

export interface Bucket {
  key: string;
  burst: number;
  perHour: number;
}

export type TakeResult = { taken: true } | { taken: false; retryAfterSeconds: number };

const HOUR_MS = 3_600_000;

interface BucketRow {
  key: string;
  tokens: number;
  updated_at: Date;
}

/** The level of a bucket at `now`: what it held, refilled for the time since, never above its burst. */
function levelAt(bucket: Bucket, row: BucketRow | undefined, now: Date): number {
  if (!row) return bucket.burst;
  // a clock behind the last writer's refills nothing rather than draining
  const elapsed = Math.max(0, now.getTime() - row.updated_at.getTime());
  return Math.min(bucket.burst, row.tokens + (elapsed * bucket.perHour) / HOUR_MS);
}

/**
 * Takes one token from every bucket, or from none when any of them holds less than one. The rows are
 * locked for the decision, so parallel attempts cannot all see the last token: the throttle's bound holds
 * under any concurrency and across instances.
 */
export async function takeTokens(db: Knex, buckets: readonly Bucket[], now: Date): Promise<TakeResult> {
  const ordered = [...buckets].sort((a, b) => (a.key < b.key ? -1 : 1)); // one lock order: no deadlocks
  return db.transaction(async (trx) => {
    for (const bucket of ordered) {
      await trx.raw('insert into login_throttle_buckets (key, tokens, updated_at) values (?, ?, ?) on conflict (key) do nothing', [bucket.key, bucket.burst, now]);
    }
    const { rows } = await trx.raw<{ rows: BucketRow[] }>(
      'select key, tokens, updated_at from login_throttle_buckets where key = any(?) order by key for update',
      [ordered.map((b) => b.key)],
    );
    const byKey = new Map(rows.map((row) => [row.key, row]));
    const levels = ordered.map((bucket) => ({ bucket, row: byKey.get(bucket.key), level: levelAt(bucket, byKey.get(bucket.key), now) }));
    const short = levels.filter((l) => l.level < 1);
    if (short.length) {
      const waitMs = Math.max(...short.map((l) => ((1 - l.level) * HOUR_MS) / l.bucket.perHour));
      return { taken: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    for (const { bucket, row, level } of levels) {
      const at = row && row.updated_at > now ? row.updated_at : now;
      await trx.raw('update login_throttle_buckets set tokens = ?, updated_at = ? where key = ?', [level - 1, at, bucket.key]);
    }
    return { taken: true };
  });
}

/** Gives back the token a check took (it succeeded), never filling a bucket beyond its burst. */
export async function returnTokens(db: Knex, buckets: readonly Bucket[]): Promise<void> {
  for (const bucket of buckets) {
    await db.raw('update login_throttle_buckets set tokens = least(?, tokens + 1) where key = ?', [bucket.burst, bucket.key]);
  }
}

/** Deletes buckets untouched since `before`: by then they are full again, which is what no row means. */
export async function deleteIdleBuckets(db: Knex, before: Date): Promise<number> {
  const { rowCount } = await db.raw<{ rowCount: number }>('delete from login_throttle_buckets where updated_at < ?', [before]);
  return rowCount;
}
