import type { Knex } from 'knex';

export interface PasskeyRow {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: string;
  sign_count: string;
  transports: string[];
  device_type: string;
  backed_up: boolean;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

export interface NewPasskey {
  userId: string;
  credentialId: string;
  publicKey: string;
  signCount: number;
  transports: string[];
  deviceType: string;
  backedUp: boolean;
  name: string;
}

export async function insertPasskey(db: Knex, passkey: NewPasskey): Promise<PasskeyRow> {
  const [row] = await db<PasskeyRow>('passkeys')
    .insert({
      user_id: passkey.userId,
      credential_id: passkey.credentialId,
      public_key: passkey.publicKey,
      sign_count: String(passkey.signCount),
      transports: JSON.stringify(passkey.transports) as never,
      device_type: passkey.deviceType,
      backed_up: passkey.backedUp,
      name: passkey.name,
    })
    .returning('*');
  return row!;
}

export async function listPasskeys(db: Knex, userId: string): Promise<PasskeyRow[]> {
  return db<PasskeyRow>('passkeys').where({ user_id: userId }).orderBy('created_at').orderBy('id');
}

export async function findPasskeyByCredentialId(db: Knex, credentialId: string): Promise<PasskeyRow | undefined> {
  return await db<PasskeyRow>('passkeys').where({ credential_id: credentialId }).first();
}

/**
 * Records a use: the new signature counter and the time. `previousCount` makes it compare-and-set, so two
 * uses racing with one assertion cannot both pass.
 */
export async function recordPasskeyUse(db: Knex, id: string, previousCount: string, signCount: number): Promise<boolean> {
  const changed = await db('passkeys')
    .where({ id, sign_count: previousCount })
    .update({ sign_count: String(signCount), last_used_at: db.fn.now() });
  return changed === 1;
}

export async function deletePasskey(db: Knex, userId: string, id: string): Promise<PasskeyRow | undefined> {
  const [row] = await db<PasskeyRow>('passkeys').where({ user_id: userId, id }).delete().returning('*');
  return row;
}

export async function deleteAllPasskeys(db: Knex, userId: string): Promise<number> {
  return db('passkeys').where({ user_id: userId }).delete();
}
