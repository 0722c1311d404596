import type { Knex } from 'knex';
import { RateLimiterMemory, RateLimiterPostgres, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { unnamedStatements } from './unnamed-statements.js';

export interface RateLimiterStore {
  engine: 'postgres' | 'embedded';
  db: Knex;
}

/** Makes the counters behind the per-address request limits (rate-limit.ts). */
export interface RateLimiters {
  /**
   * At most `points` requests per key in a fixed one-minute window. `name` keeps each limit's counts
   * apart (it prefixes the key), so every limit needs a name of its own.
   */
  perMinute(name: string, points: number): RateLimiterAbstract;
  /** The same over a one-hour window (links mailed to one address). */
  perHour(name: string, points: number): RateLimiterAbstract;
}

/** Our table (migration 20261202_020), with exactly the columns the library writes. */
const TABLE = 'rate_limits';
const MINUTE = 60;
const HOUR = 3600;

/**
 * rate-limiter-flexible's counters, by engine:
 * - Postgres: RateLimiterPostgres over our knex pool, so every instance counts against one budget. Its
 *   insuranceLimiter is an in-memory counter of the same size: when a check cannot reach the database, the
 *   library counts on that instead, so a database outage turns the limit into a per-instance one for as
 *   long as it lasts, and never fails the request.
 *   A window starts at the first request of an address and ends a minute later by the clock of the instance
 *   that started it (instances' clocks are assumed to agree within seconds, as token expiry assumes too).
 * - Embedded: RateLimiterMemory. One process owns the embedded database (embedded-lock.ts), so its memory is
 *   already the only instance's. The Postgres store works over the embedded database too, but it would add
 *   a round trip to every limited request on the single connection that serialises all of that database's
 *   queries, to share counts with nobody. Counts start afresh on restart.
 */
export function rateLimiters(store: RateLimiterStore): RateLimiters {
  let sweeps = true;
  const limiter = (name: string, points: number, duration: number): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix: name, points, duration });
    if (store.engine === 'embedded') return memory;
    const shared = new RateLimiterPostgres({
      // our knex pool, without the library's named statements (see unnamed-statements.ts)
      storeClient: unnamedStatements(store.db),
      storeType: 'pool',
      tableName: TABLE,
      // our migration made it: the server's role needs no DDL, and no check waits for a CREATE TABLE
      tableCreated: true,
      keyPrefix: name,
      points,
      duration,
      insuranceLimiter: memory,
      // one table for every limit: one of them deleting expired rows (every 5 minutes) is enough
      clearExpiredByTimeout: sweeps,
    });
    sweeps = false;
    return shared;
  };
  return {
    perMinute: (name, points) => limiter(name, points, MINUTE),
    perHour: (name, points) => limiter(name, points, HOUR),
  };
}
