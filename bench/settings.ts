/**
 * What every bench row shares. Fixed so that runs compare; BENCH_QUICK=1 shortens everything for a smoke run
 * (its numbers are not worth recording).
 */
const smoke = process.env.BENCH_SMOKE === '1';
const quick = smoke || process.env.BENCH_QUICK === '1';

export const settings = {
  quick,
  /** BENCH_SMOKE=1 (CI): the token rows and the Postgres-alone row, briefly, failing only on errors, never on speed. */
  smoke,
  /** Seconds of load before each measurement, thrown away (JIT, pools, caches). */
  warmupSeconds: smoke ? 0.25 : quick ? 1 : 3,
  /** Seconds each row is measured. */
  durationSeconds: smoke ? 0.5 : quick ? 2 : 7,
  /** Shorter rows for the resource-server kit, which has five of them and no database. */
  kitWarmupSeconds: quick ? 1 : 2,
  kitDurationSeconds: quick ? 2 : 4,
  /** Rows that compare loads measure them in this many alternating slices (A B A B …), so background noise hits both. */
  rounds: smoke ? 1 : quick ? 2 : 4,
  /** Connections of the load generator (keep-alive, one request in flight each). */
  connections: 16,
  /** Concurrent logins for the overload row: far beyond the server's bound on argon2 work. */
  overloadConnections: 256,
  overloadSeconds: quick ? 2 : 5,
  /** Seconds spent creating authorization codes for the code-redemption row (codes live 60 s). */
  codeMintSeconds: smoke ? 0.5 : quick ? 2 : 6,
  /**
   * A smoke run's token rows send this many requests per connection, with no warm-up: autocannon ends a load on
   * its one-second tick, so every slice, however short, takes a second, and a smoke run looks for errors only.
   */
  smokeRequestsPerConnection: 8,
  /**
   * Codes the anchor redeems at least (and, before them, as warm-up) in the code-redemption row; a smoke run
   * redeems as many as auth-connect does: it looks for errors, not at rates.
   */
  anchorCodes: smoke ? 0 : 2000,
  anchorCodesWarmup: smoke ? 0 : 500,
  /** argon2id parameters of the default configuration (OWASP's minimum). */
  argon2: { memoryCost: 19_456, timeCost: 2, parallelism: 1 },
  /** Requests per grant when counting database round trips. */
  roundTripSamples: 10,
  /** Starts measured for "start to ready" (the first one also migrates and creates keys). */
  restarts: 3,
  write: process.argv.includes('--write') || process.env.BENCH_WRITE === '1',
};

export const API_RESOURCE = 'urn:auth-connect:api';
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
export const PASSWORD = 'Bench-Passw0rd';
