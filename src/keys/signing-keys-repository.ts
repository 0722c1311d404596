import type { Knex } from 'knex';
import type { JWK } from 'jose';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: JWK;
  encrypted_private_jwk: string;
  kek_id: string;
  created_at: Date;
  sign_from: Date | null;
  retire_at: Date | null;
}

export type NewSigningKeyRow = Omit<SigningKeyRow, 'created_at'> & { created_at?: Date };

export function listSigningKeyRows(db: Knex): Promise<SigningKeyRow[]> {
  return db<SigningKeyRow>('signing_keys').select('*').orderBy('created_at').orderBy('kid');
}

/**
 * Holds off every other writer of the table until the transaction ends (readers go on): two instances
 * starting on an empty table, or two rotations at once, then act one after the other on what the first wrote.
 */
export async function lockSigningKeysForChange(trx: Knex.Transaction): Promise<void> {
  await trx.raw('lock table signing_keys in share row exclusive mode');
}

export async function insertSigningKeyRows(db: Knex, rows: NewSigningKeyRow[]): Promise<void> {
  if (!rows.length) return;
  await db('signing_keys').insert(rows.map((row) => ({ ...row, public_jwk: JSON.stringify(row.public_jwk) })));
}

export async function setRetireAt(db: Knex, kid: string, retireAt: Date): Promise<void> {
  await db('signing_keys').where({ kid }).update({ retire_at: retireAt });
}

export async function deleteSigningKeyRows(db: Knex, kids: string[]): Promise<void> {
  if (kids.length) await db('signing_keys').whereIn('kid', kids).delete();
}

export async function deleteAllSigningKeyRows(db: Knex): Promise<void> {
  await db('signing_keys').delete();
}

/** Announces a change on `channel`; sent inside a transaction, it is delivered at commit. */
export async function notifyChannel(db: Knex, channel: string, payload: string): Promise<void> {
  await db.raw('select pg_notify(?, ?)', [channel, payload]);
}
