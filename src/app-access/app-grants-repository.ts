import type { Knex } from 'knex';

/** SQL for the grants (oidc-provider's Grant rows in oidc_payloads) an account gave to apps. */

export interface AppGrantRow {
  id: string;
  client_id: string;
  payload: Record<string, unknown>;
  created_at: Date;
}

/** The account's live grants, newest first; expired rows wait for the cleanup but give nothing any more. */
export async function listGrantsOfAccount(db: Knex, accountId: string): Promise<AppGrantRow[]> {
  const { rows } = await db.raw<{ rows: AppGrantRow[] }>(
    `select id, payload->>'clientId' as client_id, payload, created_at from oidc_payloads
      where model = 'Grant' and payload->>'accountId' = ? and (expires_at is null or expires_at > now())
      order by created_at desc`,
    [accountId],
  );
  return rows;
}

/**
 * Deletes every grant the account gave one app and every code and token issued under them (refresh tokens
 * included); returns how many grants there were.
 */
export async function deleteGrantsOfAccountForClient(db: Knex, accountId: string, clientId: string): Promise<number> {
  const { rows } = await db.raw<{ rows: { model: string }[] }>(
    `with grants as (
       select id from oidc_payloads where model = 'Grant' and payload->>'accountId' = ? and payload->>'clientId' = ?)
     delete from oidc_payloads
      where grant_id = any(array(select id from grants)) or (model = 'Grant' and id = any(array(select id from grants)))
     returning model`,
    [accountId, clientId],
  );
  return rows.filter((row) => row.model === 'Grant').length;
}
