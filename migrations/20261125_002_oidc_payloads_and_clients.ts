import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Every oidc-provider model in one table (docs/oidc-provider-hooks.md, adapter).
  await knex.schema.createTable('oidc_payloads', (t) => {
    t.text('model').notNullable();
    t.text('id').notNullable();
    t.jsonb('payload').notNullable();
    t.text('grant_id');
    t.text('uid'); // not unique: two racing requests of one browser can save two sessions with one uid
    t.text('user_code');
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('consumed_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['model', 'id']);
  });
  await knex.raw('create index oidc_payloads_grant_id_idx on oidc_payloads (grant_id) where grant_id is not null');
  await knex.raw('create index oidc_payloads_uid_idx on oidc_payloads (uid, created_at desc) where uid is not null');
  await knex.raw('create unique index oidc_payloads_user_code_unique on oidc_payloads (user_code) where user_code is not null');
  await knex.raw('create index oidc_payloads_expires_at_idx on oidc_payloads (expires_at) where expires_at is not null');

  await knex.schema.createTable('clients', (t) => {
    t.text('client_id').primary();
    t.text('client_name').notNullable();
    // oidc-provider client metadata (snake_case): grant_types, redirect_uris, token_endpoint_auth_method, ...
    t.jsonb('metadata').notNullable();
    // sha256 of the secret; the secret itself is shown once and never stored
    t.text('secret_hash');
    t.boolean('first_party').notNullable().defaultTo(false);
    // what a client_credentials client may receive
    t.jsonb('permissions').notNullable().defaultTo('[]');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('clients');
  await knex.schema.dropTable('oidc_payloads');
}
