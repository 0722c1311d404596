import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Every mail the server sends, written in the transaction of the change that causes it and sent later by
  // the mail worker of any instance (src/mail/mail-worker.ts). A row is never deleted by the worker: sent and
  // failed rows stay for `outbox list` and the admin API.
  await knex.schema.createTable('mail_outbox', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // what happened (e.g. "password_reset:<token id>"): with the recipient, unique, so one event mails one address once
    t.text('event_key').notNullable();
    t.text('recipient').notNullable();
    t.text('template').notNullable();
    t.text('locale').notNullable();
    // the template's values, sealed (AES-256-GCM, row id as associated data): links in them carry live tokens
    t.text('sealed_data').notNullable();
    t.text('status').notNullable().defaultTo('pending'); // pending | sent | failed
    t.integer('attempts').notNullable().defaultTo(0);
    // when a worker may (re)try it: a claimed row is pushed into the future for as long as a send may take
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true });
    t.unique(['event_key', 'recipient'], { indexName: 'mail_outbox_event_recipient_unique' });
  });
  await knex.raw("create index mail_outbox_due_idx on mail_outbox (next_attempt_at) where status = 'pending'");
  await knex.raw('create index mail_outbox_created_idx on mail_outbox (created_at)');

  // Single-use tokens sent by mail (verify an address, reset a password, confirm a new address): only their
  // SHA-256 is stored; the address they were sent to is kept so a token for an address the user no longer has is void.
  await knex.schema.createTable('email_tokens', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('purpose').notNullable(); // verify_email | password_reset | change_email
    t.text('token_hash').notNullable().unique();
    t.text('email').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id', 'purpose']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('email_tokens');
  await knex.schema.dropTable('mail_outbox');
}
