import type { Knex } from 'knex';

export interface TotpRow {
  user_id: string;
  sealed_secret: string;
  confirmed_at: Date | null;
  last_used_step: string | null;
  created_at: Date;
}

export async function findTotp(db: Knex, userId: string): Promise<TotpRow | undefined> {
  return await db<TotpRow>('mfa_totp').where({ user_id: userId }).first();
}

/** A new, unconfirmed secret; replaces an unconfirmed one, never a confirmed one (false then). */
export async function saveUnconfirmedTotp(db: Knex, userId: string, sealedSecret: string): Promise<boolean> {
  const { rows } = await db.raw<{ rows: unknown[] }>(
    `insert into mfa_totp (user_id, sealed_secret) values (?, ?)
     on conflict (user_id) do update set sealed_secret = excluded.sealed_secret, created_at = now(), last_used_step = null
       where mfa_totp.confirmed_at is null
     returning user_id`,
    [userId, sealedSecret],
  );
  return rows.length === 1;
}

/**
 * Records that a code of `step` was accepted, in the same statement that checks no code of this step or a
 * later one was: two requests racing with the same code cannot both win. `confirm` also makes the secret count.
 */
export async function acceptTotpStep(db: Knex, userId: string, step: number, confirm: boolean): Promise<boolean> {
  const changed = await db('mfa_totp')
    .where({ user_id: userId })
    .andWhere((q) => q.whereNull('last_used_step').orWhere('last_used_step', '<', step))
    .modify((q) => (confirm ? q.whereNull('confirmed_at') : q.whereNotNull('confirmed_at')))
    .update({ last_used_step: step, ...(confirm ? { confirmed_at: db.fn.now() } : {}) });
  return changed === 1;
}

export async function deleteTotp(db: Knex, userId: string): Promise<boolean> {
  return (await db('mfa_totp').where({ user_id: userId }).delete()) > 0;
}
