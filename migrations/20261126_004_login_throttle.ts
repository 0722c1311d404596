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
  // ending a user's sessions also deletes their browser sessions (sessions-service endSessions), found by account
  await knex.raw("create index oidc_payloads_session_account_idx on oidc_payloads ((payload->>'accountId')) where model = 'Session'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists oidc_payloads_session_account_idx');
  await knex.schema.dropTable('login_throttle_buckets');
}
