import type { Knex } from 'knex';

/**
 * Emails were stored NFC-normalised; lookups now use NFKC (so fullwidth letters and ligatures fold to
 * their plain forms). Stored addresses that change under NFKC are rewritten, so their owners can still
 * sign in. An address whose NFKC form already belongs to another account is left as it is (its owner
 * can no longer sign in by typing it; an operator sees both in `auth-connect user list`).
 */
export async function up(knex: Knex): Promise<void> {
  const rows = (await knex('users').whereRaw(`email ~ '[^\\x01-\\x7f]'`).select('id', 'email')) as { id: string; email: string }[];
  for (const { id, email } of rows) {
    const folded = email.normalize('NFKC').toLowerCase().normalize('NFKC');
    if (folded === email) continue;
    if (await knex('users').where({ email: folded }).first('id')) continue;
    await knex('users').where({ id }).update({ email: folded });
  }
}

export async function down(): Promise<void> {
  // NFKC cannot be undone; the NFC lookups of the previous version find ASCII results just as well
}
