import type { Knex } from 'knex';

/** In one round trip (every password sign-in asks): whether the user has a confirmed authenticator app, their passkeys, their unused recovery codes. */
export async function countSecondFactors(db: Knex, userId: string): Promise<{ totp: boolean; passkeys: number; recoveryCodesLeft: number }> {
  const { rows } = await db.raw<{ rows: { totp: boolean; passkeys: number; recovery_codes_left: number }[] }>(
    `select exists (select 1 from mfa_totp where user_id = ? and confirmed_at is not null) as totp,
            (select count(*)::int from passkeys where user_id = ?) as passkeys,
            (select count(*)::int from mfa_recovery_codes where user_id = ? and used_at is null) as recovery_codes_left`,
    [userId, userId, userId],
  );
  const row = rows[0]!;
  return { totp: row.totp, passkeys: row.passkeys, recoveryCodesLeft: row.recovery_codes_left };
}
