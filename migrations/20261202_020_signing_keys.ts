import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // The signing keys every instance signs with, and their rotation schedule: one source of truth, so
  // instances on different machines need no shared KEYS_DIR. The private half is sealed with AES-256-GCM
  // (src/keys/key-encryption.ts); the public half is kept in clear for /jwks, `keys list` and `token verify`.
  await knex.schema.createTable('signing_keys', (t) => {
    t.text('kid').primary();
    t.text('alg').notNullable();
    t.jsonb('public_jwk').notNullable();
    // "v1.<iv>.<ciphertext>.<tag>" (base64url), the key's kid as additional data: never the plaintext JWK
    t.text('encrypted_private_jwk').notNullable();
    // which key-encryption key sealed it, so a server with another one says so instead of failing to decrypt
    t.text('kek_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // null: signs from its creation; null retire_at: stays until a rotation replaces it
    t.timestamp('sign_from', { useTz: true });
    t.timestamp('retire_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('signing_keys');
}
