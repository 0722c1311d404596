import type { Knex } from 'knex';
import { statement, write } from '../db/deferred-writes.js';
import { runStatement } from '../db/run-statement.js';

/** SQL for the oidc_payloads table; one row per oidc-provider model instance. */

export interface StoredPayload {
  payload: Record<string, unknown>;
  consumed_at: Date | null;
}

export async function upsertPayload(
  db: Knex,
  row: { model: string; id: string; payload: object; grantId?: string; uid?: string; userCode?: string; expiresAt: Date | null; successorSeed?: string },
): Promise<void> {
  // consumed_at is deliberately not in the update: a re-save must never make a used code or token usable again;
  // nor is successor_seed: a token's successor is fixed when it is first saved
  await write(
    db,
    statement(
      `insert into oidc_payloads (model, id, payload, grant_id, uid, user_code, expires_at, successor_seed)
       values (?, ?, ?::jsonb, ?, ?, ?, ?::timestamptz, ?)
       on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
         uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`,
      [row.model, row.id, JSON.stringify(row.payload), row.grantId ?? null, row.uid ?? null, row.userCode ?? null, row.expiresAt, row.successorSeed ?? null],
    ),
  );
}

export async function findPayload(db: Knex, model: string, id: string): Promise<StoredPayload | undefined> {
  const { rows } = await runStatement<StoredPayload>(db, 'select payload, consumed_at from oidc_payloads where model = ? and id = ?', [model, id]);
  return rows[0];
}

/** The newest row with this uid: uids are not unique (see the migration), so "newest" keeps lookups deterministic. */
export async function findPayloadByUid(db: Knex, model: string, uid: string): Promise<StoredPayload | undefined> {
  const { rows } = await runStatement<StoredPayload>(
    db,
    'select payload, consumed_at from oidc_payloads where model = ? and uid = ? order by created_at desc limit 1',
    [model, uid],
  );
  return rows[0];
}

export async function findPayloadByUserCode(db: Knex, model: string, userCode: string): Promise<StoredPayload | undefined> {
  const { rows } = await runStatement<StoredPayload>(db, 'select payload, consumed_at from oidc_payloads where model = ? and user_code = ?', [model, userCode]);
  return rows[0];
}

/**
 * Marks a row consumed if, and only if, nobody did before: the single statement is what makes a code or
 * refresh token redeemable exactly once, however many requests race for it.
 */
export async function consumePayload(db: Knex, model: string, id: string): Promise<boolean> {
  const { rowCount } = await runStatement(db, 'update oidc_payloads set consumed_at = now() where model = ? and id = ? and consumed_at is null', [model, id]);
  return rowCount === 1;
}

/** Deletes every row of the grant that `id` belongs to, and the grant itself; returns the grant id. */
export async function deleteGrantOf(db: Knex, model: string, id: string): Promise<string | undefined> {
  const { rows } = await runStatement<{ grant_id: string }>(
    db,
    `with target as (select grant_id from oidc_payloads where model = ? and id = ? and grant_id is not null)
     delete from oidc_payloads where grant_id in (select grant_id from target)
        or (model = 'Grant' and id in (select grant_id from target))
     returning (select grant_id from target) as grant_id`,
    [model, id],
  );
  return rows[0]?.grant_id;
}

export async function deletePayload(db: Knex, model: string, id: string): Promise<void> {
  await runStatement(db, 'delete from oidc_payloads where model = ? and id = ?', [model, id]);
}

export async function deletePayloadsOfGrant(db: Knex, model: string, grantId: string): Promise<void> {
  await runStatement(db, 'delete from oidc_payloads where model = ? and grant_id = ?', [model, grantId]);
}

/** Deletes up to `batch` rows expired before `before`; returns how many. */
export async function deleteExpiredBatch(db: Knex, before: Date, batch: number): Promise<number> {
  const { rowCount } = await runStatement(
    db,
    `delete from oidc_payloads where ctid in (
       select ctid from oidc_payloads where expires_at < ? limit ?)`,
    [before, batch],
  );
  return rowCount ?? 0;
}

/**
 * Deletes every grant of an account — also those of third-party consents that no session refers to — and
 * every code and token issued under them.
 */
export async function deleteGrantsOfAccount(db: Knex, accountId: string): Promise<void> {
  await db.raw(
    `with grants as (select id from oidc_payloads where model = 'Grant' and payload->>'accountId' = ?)
     delete from oidc_payloads where grant_id in (select id from grants) or (model = 'Grant' and id in (select id from grants))`,
    [accountId],
  );
}

/**
 * Deletes the browser sign-ins (oidc-provider's Session rows, behind the `_session` cookie) of an account,
 * except those that carry one of `keepGrantIds`; the next authorization request then asks for the password.
 */
export async function deleteBrowserSessionsOfAccount(db: Knex, accountId: string, keepGrantIds: readonly string[] = []): Promise<number> {
  const { rowCount } = await runStatement(
    db,
    `delete from oidc_payloads where model = 'Session' and payload->>'accountId' = ?
       and not exists (select 1 from jsonb_each(coalesce(payload->'authorizations', '{}'::jsonb)) a where a.value->>'grantId' = any(?::text[]))`,
    [accountId, [...keepGrantIds]],
  );
  return rowCount ?? 0;
}

/** Deletes the browser sign-ins that carry any of these grants (the same sign-in as the sessions ended). */
export async function deleteBrowserSessionsHoldingGrants(db: Knex, accountId: string, grantIds: readonly string[]): Promise<number> {
  if (grantIds.length === 0) return 0;
  const { rowCount } = await runStatement(
    db,
    `delete from oidc_payloads where model = 'Session' and payload->>'accountId' = ?
       and exists (select 1 from jsonb_each(coalesce(payload->'authorizations', '{}'::jsonb)) a where a.value->>'grantId' = any(?::text[]))`,
    [accountId, [...grantIds]],
  );
  return rowCount ?? 0;
}
