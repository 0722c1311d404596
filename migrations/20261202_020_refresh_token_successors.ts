import type { Knex } from 'knex';

/**
 * A rotated refresh token's row remembers the successor it was exchanged for, so that a retry of a refresh
 * whose answer was lost gets that same successor (src/oidc/refresh-retry.ts). The value is a bearer
 * credential, so the column holds it sealed with AES-256-GCM (src/oidc/successor-seal.ts), never in clear.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.text('sealed_successor');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.dropColumn('sealed_successor');
  });
}
