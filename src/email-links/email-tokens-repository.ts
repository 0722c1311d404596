import type { Knex } from 'knex';

export type TokenPurpose = 'verify_email' | 'password_reset' | 'change_email';

export interface EmailTokenRow {
  id: string;
  user_id: string;
  purpose: TokenPurpose;
  token_hash: string;
  email: string;
  expires_at: Date;
  used_at: Date | null;
  created_at: Date;
}

export async function insertEmailToken(
  db: Knex,
  row: Pick<EmailTokenRow, 'user_id' | 'purpose' | 'token_hash' | 'email' | 'expires_at'>,
): Promise<EmailTokenRow> {
  const [inserted] = await db('email_tokens').insert(row).returning('*');
  return inserted!; // insert … returning answers the row or throws
}

/** The token if it is unused and unexpired, without using it (a page shows whose it is before the form is sent). */
export async function findUsableEmailToken(db: Knex, tokenHash: string, purposes: TokenPurpose[]): Promise<EmailTokenRow | undefined> {
  return await db('email_tokens')
    .where({ token_hash: tokenHash })
    .whereIn('purpose', purposes)
    .whereNull('used_at')
    .where('expires_at', '>', db.fn.now())
    .first();
}

/** Uses the token: one statement, so of two requests racing with the same token only one gets the row. */
export async function consumeEmailToken(db: Knex, tokenHash: string, purposes: TokenPurpose[]): Promise<EmailTokenRow | undefined> {
  const [row] = await db('email_tokens')
    .where({ token_hash: tokenHash })
    .whereIn('purpose', purposes)
    .whereNull('used_at')
    .where('expires_at', '>', db.fn.now())
    .update({ used_at: db.fn.now() })
    .returning('*');
  return row;
}

/** Every unused token of the user for `purpose` stops working (a newer one was used, or the address changed). */
export async function voidEmailTokens(db: Knex, userId: string, purposes: TokenPurpose[]): Promise<void> {
  await db('email_tokens').where({ user_id: userId }).whereIn('purpose', purposes).whereNull('used_at').update({ used_at: db.fn.now() });
}

/** The user's tokens that expired a day ago or more: nothing reads them any more (kept a day for the audit trail's sake). */
export async function deleteOldEmailTokens(db: Knex, userId: string): Promise<void> {
  await db('email_tokens').where({ user_id: userId }).where('expires_at', '<', db.raw("now() - interval '1 day'")).del();
}
