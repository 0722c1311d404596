import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // who made a change: a user (actor_user_id), a machine client (actor_client_id), the CLI or the server itself
  await knex.schema.alterTable('audit_events', (t) => {
    t.text('actor_type');
    t.text('actor_client_id');
  });
  await knex.raw("update audit_events set actor_type = 'user' where actor_user_id is not null");
  // an API that may introspect tokens issued to other clients
  await knex.schema.alterTable('clients', (t) => {
    t.boolean('resource_server').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clients', (t) => t.dropColumn('resource_server'));
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropColumn('actor_client_id');
    t.dropColumn('actor_type');
  });
}
