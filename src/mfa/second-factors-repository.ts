import type { Knex } from 'knex';

export interface SecondFactorCounts {
  totp: boolean;
  passkeys: number;
  recoveryCodesLeft: number;
}

/**
 * Whether the user `userId` names (a column, such as `u.id`) has a confirmed authenticator app, how many
 * passkeys and unused recovery codes: select-list expressions, so a query that reads the user reads these
 * too (every password sign-in asks). secondFactorCountsOf reads them back.
 */
export function secondFactorColumns(userId: string): string {
  return `exists (select 1 from mfa_totp where user_id = ${userId} and confirmed_at is not null) as mfa_totp,
          (select count(*)::int from passkeys where user_id = ${userId}) as mfa_passkeys,
          (select count(*)::int from mfa_recovery_codes where user_id = ${userId} and used_at is null) as mfa_recovery_codes_left`;
}

export function secondFactorCountsOf(row: Record<string, unknown>): SecondFactorCounts {
  return { totp: row.mfa_totp === true, passkeys: Number(row.mfa_passkeys), recoveryCodesLeft: Number(row.mfa_recovery_codes_left) };
}

/** The same counts for one user, in one round trip. */
export async function countSecondFactors(db: Knex, userId: string): Promise<SecondFactorCounts> {
  const { rows } = await db.raw<{ rows: Record<string, unknown>[] }>(`select ${secondFactorColumns('u.id')} from (select ?::uuid as id) u`, [userId]);
  return secondFactorCountsOf(rows[0]!);
}
