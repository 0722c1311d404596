import type { Knex } from 'knex';

/**
 * Second factors (issue 12): an authenticator app (TOTP), recovery codes and passkeys (WebAuthn), the
 * short-lived server-side state of a sign-in between its first and second factor, and WebAuthn challenges.
 * Nothing here is stored in clear that would let a reader of the database sign in: the TOTP secret is
 * sealed (AES-256-GCM, src/mfa/totp-secret-seal.ts), recovery codes and pending-login tokens are SHA-256
 * hashes of 80+ random bits, and passkeys are public keys.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('mfa_totp', (t) => {
    t.uuid('user_id').primary().references('id').inTable('users').onDelete('CASCADE');
    // "v1.<iv>.<ciphertext>.<tag>", the user id as additional data
    t.text('sealed_secret').notNullable();
    // null until the user proved with one code that the app has the secret; only then does it count
    t.timestamp('confirmed_at', { useTz: true });
    // the RFC 6238 time step of the last code accepted: a code of that step or an earlier one is a replay
    t.bigInteger('last_used_step');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('mfa_recovery_codes', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('code_hash').notNullable();
    t.timestamp('used_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['user_id', 'code_hash']);
  });

  await knex.schema.createTable('passkeys', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    // base64url, as the browser reports it; unique across users (an authenticator makes a new one each time)
    t.text('credential_id').notNullable().unique();
    t.text('public_key').notNullable();
    t.bigInteger('sign_count').notNullable().defaultTo(0);
    t.jsonb('transports').notNullable().defaultTo('[]');
    t.text('device_type').notNullable();
    t.boolean('backed_up').notNullable().defaultTo(false);
    t.text('name').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true });
  });
  await knex.raw('create index passkeys_user_idx on passkeys (user_id, created_at)');

  // one row per challenge handed to a browser; taking it deletes it, so each is answered at most once
  await knex.schema.createTable('webauthn_challenges', (t) => {
    t.text('challenge').primary();
    t.text('purpose').notNullable();
    t.uuid('user_id').references('id').inTable('users').onDelete('CASCADE');
    // what the answer must come back with: the login interaction's uid, or the account page's session
    t.text('bound_to').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });

  // a sign-in whose password (or first factor) passed and whose second factor is still to come
  await knex.schema.createTable('mfa_pending_logins', (t) => {
    t.text('token_hash').primary();
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('client_id');
    t.jsonb('amr').notNullable().defaultTo('[]');
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('mfa_pending_logins');
  await knex.schema.dropTable('webauthn_challenges');
  await knex.schema.dropTable('passkeys');
  await knex.schema.dropTable('mfa_recovery_codes');
  await knex.schema.dropTable('mfa_totp');
}
