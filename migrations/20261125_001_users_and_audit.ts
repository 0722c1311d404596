import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('email').notNullable();
    t.text('password_hash').notNullable();
    t.text('role').notNullable().defaultTo('student');
    t.boolean('is_active').notNullable().defaultTo(true);
    t.boolean('email_verified').notNullable().defaultTo(false);
    // lockout and throttling
    t.integer('failed_login_count').notNullable().defaultTo(0);
    t.timestamp('last_failed_login_at', { useTz: true });
    t.timestamp('locked_until', { useTz: true });
    t.timestamp('last_login_at', { useTz: true });
    t.timestamp('password_changed_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // emails are stored normalised (trimmed, NFC, lower case), so a plain unique index makes them unique regardless of case
  await knex.raw('create unique index users_email_unique on users (email)');
  await knex.raw('create index users_role_idx on users (role)');

  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id').primary();
    t.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('event').notNullable();
    t.text('outcome').notNullable().defaultTo('success');
    t.uuid('actor_user_id');
    t.uuid('user_id');
    t.text('client_id');
    t.text('ip');
    t.text('user_agent');
    t.jsonb('details').notNullable().defaultTo('{}');
  });
  await knex.raw('create index audit_events_occurred_at_idx on audit_events (occurred_at desc)');
  await knex.raw('create index audit_events_user_idx on audit_events (user_id, occurred_at desc)');
  await knex.raw('create index audit_events_event_idx on audit_events (event, occurred_at desc)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_events');
  await knex.schema.dropTable('users');
}
