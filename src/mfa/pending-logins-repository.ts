import type { Knex } from 'knex';

export interface PendingLoginRow {
  token_hash: string;
  user_id: string;
  client_id: string | null;
  amr: string[];
  expires_at: Date;
}

export async function insertPendingLogin(db: Knex, row: { tokenHash: string; userId: string; clientId: string | null; amr: string[]; expiresAt: Date }) {
  await db('mfa_pending_logins').where('expires_at', '<', db.fn.now()).delete();
  await db('mfa_pending_logins').insert({
    token_hash: row.tokenHash,
    user_id: row.userId,
    client_id: row.clientId,
    amr: JSON.stringify(row.amr),
    expires_at: row.expiresAt,
  });
}

export async function findPendingLogin(db: Knex, tokenHash: string): Promise<PendingLoginRow | undefined> {
  return await db<PendingLoginRow>('mfa_pending_logins').where({ token_hash: tokenHash }).andWhere('expires_at', '>', db.fn.now()).first();
}

/** Ends the pending sign-in; true only for the one request that ends it. */
export async function deletePendingLogin(db: Knex, tokenHash: string): Promise<boolean> {
  return (await db('mfa_pending_logins').where({ token_hash: tokenHash }).delete()) === 1;
}

export async function deletePendingLoginsOf(db: Knex, userId: string): Promise<void> {
  await db('mfa_pending_logins').where({ user_id: userId }).delete();
}
