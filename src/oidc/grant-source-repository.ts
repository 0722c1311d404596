import type { Knex } from 'knex';
import type { UserRow } from '../accounts/users-repository.js';
import { activeSession } from '../sessions/sessions-repository.js';
import type { StoredPayload } from './payloads-repository.js';
import { runStatement } from '../db/run-statement.js';

/**
 * The first read of the token endpoint's code and refresh grants: the presented code or refresh token with
 * its grant and its user (and, for a refresh, the grant's active session) in one round trip, because the
 * provider's checks need all of them one after the other.
 */

export interface GrantSourceWithContext extends StoredPayload {
  /** the grant row; undefined when the grant is gone (revoked, expired) */
  grant: StoredPayload | undefined;
  /** undefined when the user was deleted */
  user: UserRow | undefined;
}

export interface RefreshTokenWithContext extends GrantSourceWithContext {
  /** consumed within the retry window (whether its successor is unused is checked when answering) */
  retryable: boolean;
  /** the random seed its successor is computed from (successor-id.ts); null for rows saved before seeds */
  successorSeed: string | null;
  /** the user session of the token's grant, when still active */
  sessionId: string | null;
}

const UUID = "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'";

/** Columns and joins shared by both reads; the source row is `src`, extra columns are prefixed `src_`. */
const SOURCE_COLUMNS = `src.payload as src_payload, src.consumed_at as src_consumed_at,
       grant_row.id is not null as src_grant_found, grant_row.payload as src_grant_payload, grant_row.consumed_at as src_grant_consumed_at`;
const SOURCE_JOINS = `left join oidc_payloads grant_row on grant_row.model = 'Grant' and grant_row.id = src.grant_id
     left join users u on u.id = case when src.payload->>'accountId' ~ ${UUID} then (src.payload->>'accountId')::uuid end`;

type Row = UserRow & Record<string, unknown>;

function withContext(row: Row): { source: GrantSourceWithContext; extra: Record<string, unknown> } {
  const { src_payload, src_consumed_at, src_grant_found, src_grant_payload, src_grant_consumed_at, ...rest } = row;
  const extra = Object.fromEntries(Object.entries(rest).filter(([key]) => key.startsWith('src_')));
  const user = Object.fromEntries(Object.entries(rest).filter(([key]) => !key.startsWith('src_'))) as unknown as UserRow;
  return {
    source: {
      payload: src_payload as Record<string, unknown>,
      consumed_at: src_consumed_at as Date | null,
      grant: src_grant_found ? { payload: src_grant_payload as Record<string, unknown>, consumed_at: src_grant_consumed_at as Date | null } : undefined,
      user: user.id ? user : undefined,
    },
    extra,
  };
}

/** An authorization code (or another single-use grant source of `model`) with its grant and its user. */
export async function findCodeWithContext(db: Knex, model: string, id: string): Promise<GrantSourceWithContext | undefined> {
  const { rows } = await runStatement<Row>(db, `select ${SOURCE_COLUMNS}, u.* from oidc_payloads src ${SOURCE_JOINS} where src.model = ? and src.id = ?`, [
    model,
    id,
  ]);
  return rows[0] && withContext(rows[0]).source;
}

/** A refresh token with its grant, its user and its grant's active session. */
export async function findRefreshTokenWithContext(
  db: Knex,
  input: { id: string; graceSeconds: number; sessionTimeoutMinutes: number },
): Promise<RefreshTokenWithContext | undefined> {
  const { rows } = await runStatement<Row>(
    db,
    `select ${SOURCE_COLUMNS}, src.successor_seed as src_successor_seed,
       coalesce(src.consumed_at > now() - make_interval(secs => ?), false) as src_retryable,
       s.id as src_session_id, u.*
     from oidc_payloads src
     ${SOURCE_JOINS}
     left join user_sessions s on s.grant_id = src.grant_id and s.user_id = u.id and ${activeSession('s')}
     where src.model = 'RefreshToken' and src.id = ?`,
    [input.graceSeconds, input.sessionTimeoutMinutes, input.id],
  );
  if (!rows[0]) return undefined;
  const { source, extra } = withContext(rows[0]);
  return {
    ...source,
    retryable: extra.src_retryable === true,
    successorSeed: (extra.src_successor_seed as string | null) ?? null,
    sessionId: (extra.src_session_id as string | null) ?? null,
  };
}
