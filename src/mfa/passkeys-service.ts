import type { Knex } from 'knex';
import { listPasskeys, type PasskeyRow } from './passkeys-repository.js';

export type { PasskeyRow };

/** The user's passkeys, oldest first: names and dates only (the public keys stay inside this service). */
export function listUserPasskeys(ctx: { db: Knex }, userId: string): Promise<PasskeyRow[]> {
  return listPasskeys(ctx.db, userId);
}
