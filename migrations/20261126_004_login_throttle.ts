import type { Knex } from 'knex';

/**
 * 1. Token buckets of the login throttle (src/login-throttle/): one row per account, client address or known
 * device that has failed recently. In the database so that every instance and a restart see the same counts.
 * The users table's failed_login_count / locked_until columns are no longer read or written; they stay so
 * that older code reading users rows keeps working.
 * 2. An index to find a user's browser sessions (oidc-provider's Session rows) when their sessions end.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('login_throttle_buckets', (t) => {
    // 'account:<sha256 of the email>', 'address:<ip or /64>', 'device:<nonce>', 'session:<id>'
    t.text('key').primary();
    // tokens left at updated_at; the level now is min(burst, tokens + elapsed * rate)
    t.double('tokens').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });
  await knex.raw('create index login_throttle_buckets_updated_idx on login_throttle_buckets (updated_at)');
  // Takes one token from every bucket named, or from none when any holds less than one, in one round trip
  // and under row locks (taken in key order, so parallel callers cannot deadlock): the throttle's bound holds
  // under any concurrency, on every instance. Returns 0 when taken, else the seconds until it could be.
  await knex.raw(`
    create function login_throttle_take(p_keys text[], p_bursts float8[], p_per_ms float8[], p_now timestamptz) returns float8
    language plpgsql as $$
    declare
      wait_ms float8;
    begin
      insert into login_throttle_buckets (key, tokens, updated_at)
        select u.key, u.burst, p_now from unnest(p_keys, p_bursts) as u(key, burst) order by u.key
        on conflict (key) do nothing;
      perform 1 from login_throttle_buckets where key = any(p_keys) order by key for update;
      select max((1 - x.level) / x.per_ms) filter (where x.level < 1) into wait_ms from (
        select least(u.burst, b.tokens + greatest(0, extract(epoch from p_now - b.updated_at) * 1000) * u.per_ms) as level, u.per_ms
          from login_throttle_buckets b join unnest(p_keys, p_bursts, p_per_ms) as u(key, burst, per_ms) on b.key = u.key) x;
      if wait_ms is not null then
        return greatest(1, ceil(wait_ms / 1000));
      end if;
      update login_throttle_buckets b
         set tokens = least(u.burst, b.tokens + greatest(0, extract(epoch from p_now - b.updated_at) * 1000) * u.per_ms) - 1,
             updated_at = greatest(b.updated_at, p_now)
        from unnest(p_keys, p_bursts, p_per_ms) as u(key, burst, per_ms)
       where b.key = u.key;
      return 0;
    end $$`);
  // ending a user's sessions also deletes their browser sessions (sessions-service endSessions), found by account
  await knex.raw("create index oidc_payloads_session_account_idx on oidc_payloads ((payload->>'accountId')) where model = 'Session'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists oidc_payloads_session_account_idx');
  await knex.raw('drop function if exists login_throttle_take(text[], float8[], float8[], timestamptz)');
  await knex.schema.dropTable('login_throttle_buckets');
}
