import type { Knex } from 'knex';

export type ChallengePurpose = 'register' | 'authenticate';

export async function insertChallenge(
  db: Knex,
  row: { challenge: string; purpose: ChallengePurpose; userId: string | null; boundTo: string; expiresAt: Date },
): Promise<void> {
  // challenges nobody answered are dropped here rather than by a timer: a handful of rows at most
  await db('webauthn_challenges').where('expires_at', '<', db.fn.now()).delete();
  await db('webauthn_challenges').insert({
    challenge: row.challenge,
    purpose: row.purpose,
    user_id: row.userId,
    bound_to: row.boundTo,
    expires_at: row.expiresAt,
  });
}

/** Takes (deletes) an unexpired challenge of this purpose and binding: at most one answer ever gets it. */
export async function takeChallenge(db: Knex, challenge: string, purpose: ChallengePurpose, boundTo: string): Promise<{ userId: string | null } | undefined> {
  const [row] = await db('webauthn_challenges')
    .where({ challenge, purpose, bound_to: boundTo })
    .andWhere('expires_at', '>', db.fn.now())
    .delete()
    .returning<{ user_id: string | null }[]>(['user_id']);
  return row ? { userId: row.user_id } : undefined;
}
