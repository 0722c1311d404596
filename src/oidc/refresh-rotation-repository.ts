import type { Knex } from 'knex';
import type { UserRow } from '../accounts/users-repository.js';
import { activeSession } from '../sessions/sessions-repository.js';
import type { StoredPayload } from './payloads-repository.js';

/**
 * SQL of the refresh grant: one statement reads everything its checks need, one statement rotates. The
 * statements span oidc_payloads, users and user_sessions because a refresh needs all three at once.
 */

export interface RefreshTokenWithContext extends StoredPayload {
  /** consumed within the retry window (whether its successor is unused is checked when answering) */
  retryable: boolean;
  /** the random seed its successor is computed from (successor-id.ts); null for rows saved before seeds */
  successorSeed: string | null;
  /** the token's grant row; undefined when the grant is gone (revoked, expired) */
  grant: StoredPayload | undefined;
  /** the token's user; undefined when deleted */
  user: UserRow | undefined;
  /** the user session of the token's grant, when still active */
  sessionId: string | null;
}

const UUID = "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'";

/** A refresh token with its grant, its user and its grant's active session, in one round trip. */
export async function findRefreshTokenWithContext(
  db: Knex,
  input: { id: string; graceSeconds: number; sessionTimeoutMinutes: number },
): Promise<RefreshTokenWithContext | undefined> {
  const { rows } = await db.raw<{ rows: (UserRow & Record<string, unknown>)[] }>(
    `select rt.payload as rt_payload, rt.consumed_at as rt_consumed_at, rt.successor_seed as rt_successor_seed,
       coalesce(rt.consumed_at > now() - make_interval(secs => ?), false) as rt_retryable,
       grant_row.id is not null as rt_grant_found, grant_row.payload as rt_grant_payload, grant_row.consumed_at as rt_grant_consumed_at,
       s.id as rt_session_id, u.*
     from oidc_payloads rt
     left join oidc_payloads grant_row on grant_row.model = 'Grant' and grant_row.id = rt.grant_id
     left join users u on u.id = case when rt.payload->>'accountId' ~ ${UUID} then (rt.payload->>'accountId')::uuid end
     left join user_sessions s on s.grant_id = rt.grant_id and s.user_id = u.id and ${activeSession('s')}
     where rt.model = 'RefreshToken' and rt.id = ?`,
    [input.graceSeconds, input.sessionTimeoutMinutes, input.id],
  );
  const row = rows[0];
  if (!row) return undefined;
  const { rt_payload, rt_consumed_at, rt_successor_seed, rt_retryable, rt_grant_found, rt_grant_payload, rt_grant_consumed_at, rt_session_id, ...user } = row;
  return {
    payload: rt_payload as Record<string, unknown>,
    consumed_at: rt_consumed_at as Date | null,
    retryable: rt_retryable === true,
    successorSeed: (rt_successor_seed as string | null) ?? null,
    grant: rt_grant_found ? { payload: rt_grant_payload as Record<string, unknown>, consumed_at: rt_grant_consumed_at as Date | null } : undefined,
    user: user.id ? (user as UserRow) : undefined,
    sessionId: (rt_session_id as string | null) ?? null,
  };
}

export interface Rotation {
  /** the session was still active, and is now marked used */
  sessionActive: boolean;
  /** this statement consumed the token and stored its successor */
  rotated: boolean;
}

/**
 * Rotation in one statement: marks the session used, consumes the token if, and only if, nobody did before
 * and its session is active, and inserts the successor only if this statement consumed it. Concurrent
 * presentations queue on the token's row; exactly one of them rotates.
 */
export async function rotateRefreshToken(
  db: Knex,
  input: {
    rotatedId: string;
    sessionId: string;
    sessionTimeoutMinutes: number;
    successor: { id: string; payload: object; grantId?: string; expiresAt: Date | null; successorSeed: string };
  },
): Promise<Rotation> {
  const { rows } = await db.raw<{ rows: { session_active: boolean; rotated: boolean }[] }>(
    `with touched as (
       update user_sessions set last_used_at = now() where id = ? and ${activeSession()} returning id),
     consumed as (
       update oidc_payloads set consumed_at = now()
        where model = 'RefreshToken' and id = ? and consumed_at is null and exists (select 1 from touched)
       returning id),
     inserted as (
       insert into oidc_payloads (model, id, payload, grant_id, expires_at, successor_seed)
       select 'RefreshToken', ?, ?::jsonb, ?, ?::timestamptz, ? where exists (select 1 from consumed)
       on conflict (model, id) do nothing
       returning id)
     select exists (select 1 from touched) as session_active, exists (select 1 from inserted) as rotated`,
    [
      input.sessionId,
      input.sessionTimeoutMinutes,
      input.rotatedId,
      input.successor.id,
      JSON.stringify(input.successor.payload),
      input.successor.grantId ?? null,
      input.successor.expiresAt,
      input.successor.successorSeed,
    ],
  );
  return { sessionActive: rows[0]!.session_active, rotated: rows[0]!.rotated };
}

/**
 * For a retry of a token rotated before: marks the session used if still active, and says whether the
 * successor is still unused (once the client used it, the old token again is a replay).
 */
export async function touchSessionForRetry(
  db: Knex,
  input: { sessionId: string; sessionTimeoutMinutes: number; successorId: string },
): Promise<{ sessionActive: boolean; successorUnused: boolean }> {
  const { rows } = await db.raw<{ rows: { session_active: boolean; successor_unused: boolean }[] }>(
    `with touched as (
       update user_sessions set last_used_at = now() where id = ? and ${activeSession()} returning id)
     select exists (select 1 from touched) as session_active,
       exists (select 1 from oidc_payloads where model = 'RefreshToken' and id = ? and consumed_at is null) as successor_unused`,
    [input.sessionId, input.sessionTimeoutMinutes, input.successorId],
  );
  return { sessionActive: rows[0]!.session_active, successorUnused: rows[0]!.successor_unused };
}

/**
 * After losing a race to rotate: whether the winner's rotation may be shared — consumed within the window
 * and its successor stored and unused. A new statement, so it sees what the winner committed.
 */
export async function mayShareRotation(db: Knex, input: { rotatedId: string; successorId: string; graceSeconds: number }): Promise<boolean> {
  const { rows } = await db.raw<{ rows: { shareable: boolean }[] }>(
    `select exists (
       select 1 from oidc_payloads rt
         join oidc_payloads successor on successor.model = 'RefreshToken' and successor.id = ? and successor.consumed_at is null
        where rt.model = 'RefreshToken' and rt.id = ? and rt.consumed_at > now() - make_interval(secs => ?)) as shareable`,
    [input.successorId, input.rotatedId, input.graceSeconds],
  );
  return rows[0]!.shareable;
}
