import type { Knex } from 'knex';

/**
 * A rotated refresh token's successor is now computed, not remembered (src/oidc/successor-id.ts): from the
 * token, a random seed stored in its row when it was saved, and a key derived from the server secret. So
 * rotation is one statement, and the sealed copy of the successor goes. A retry of a token rotated just
 * before the upgrade finds no successor under the computed value and is treated as a replay, as it would be
 * without the retry window.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.dropColumn('sealed_successor');
    t.text('successor_seed');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.dropColumn('successor_seed');
    t.text('sealed_successor');
  });
}
