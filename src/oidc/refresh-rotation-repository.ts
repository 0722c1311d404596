import type { Knex } from 'knex';
import { activeSession } from '../sessions/sessions-repository.js';
import { runStatement } from '../db/run-statement.js';

/**
 * SQL of the refresh grant's writes (its read is in grant-source-repository.ts): one statement rotates. The
 * statements span oidc_payloads and user_sessions because a refresh needs both at once.
 */

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
  const { rows } = await runStatement<{ session_active: boolean; rotated: boolean }>(
    db,
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
  const { rows } = await runStatement<{ session_active: boolean; successor_unused: boolean }>(
    db,
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
  const { rows } = await runStatement<{ shareable: boolean }>(
    db,
    `select exists (
       select 1 from oidc_payloads rt
         join oidc_payloads successor on successor.model = 'RefreshToken' and successor.id = ? and successor.consumed_at is null
        where rt.model = 'RefreshToken' and rt.id = ? and rt.consumed_at > now() - make_interval(secs => ?)) as shareable`,
    [input.successorId, input.rotatedId, input.graceSeconds],
  );
  return rows[0]!.shareable;
}
