import type { Knex } from 'knex';

export async function replaceRecoveryCodes(db: Knex, userId: string, codeHashes: readonly string[]): Promise<void> {
  await db('mfa_recovery_codes').where({ user_id: userId }).delete();
  await db('mfa_recovery_codes').insert(codeHashes.map((code_hash) => ({ user_id: userId, code_hash })));
}

/** Marks the code used if it is one of the user's and unused; true only for the one request that does. */
export async function useRecoveryCode(db: Knex, userId: string, codeHash: string): Promise<boolean> {
  const changed = await db('mfa_recovery_codes').where({ user_id: userId, code_hash: codeHash }).whereNull('used_at').update({ used_at: db.fn.now() });
  return changed === 1;
}

export async function countUnusedRecoveryCodes(db: Knex, userId: string): Promise<number> {
  const [row] = await db('mfa_recovery_codes').where({ user_id: userId }).whereNull('used_at').count<{ count: string }[]>({ count: '*' });
  return Number(row?.count ?? 0);
}

export async function deleteRecoveryCodes(db: Knex, userId: string): Promise<number> {
  return db('mfa_recovery_codes').where({ user_id: userId }).delete();
}
