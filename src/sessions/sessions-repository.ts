import type { Knex } from 'knex';
import type { UserRow } from '../accounts/users-repository.js';

export interface SessionRow {
  id: string;
  user_id: string;
  client_id: string;
  grant_id: string;
  ip: string | null;
  user_agent: string | null;
  created_at: Date;
  last_used_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

/** SQL condition of a session that may still be used; `?` is the idle timeout in minutes. */
const ACTIVE = `revoked_at is null and expires_at > now() and last_used_at > now() - make_interval(mins => ?)`;

export async function insertSession(
  db: Knex,
  row: { userId: string; clientId: string; grantId: string; ip: string | null; userAgent: string | null; expiresAt: Date },
): Promise<string> {
  const { rows } = await db.raw<{ rows: { id: string }[] }>(
    `insert into user_sessions (user_id, client_id, grant_id, ip, user_agent, expires_at) values (?, ?, ?, ?, ?, ?)
     on conflict (grant_id) do update set last_used_at = now(), ip = excluded.ip, user_agent = excluded.user_agent
     returning id`,
    [row.userId, row.clientId, row.grantId, row.ip, row.userAgent?.slice(0, 512) ?? null, row.expiresAt],
  );
  return rows[0]!.id;
}

/**
 * In one round trip: the user, and the id of the grant's session if it is still active, which is then
 * marked used. A refresh needs both, so this keeps the refresh grant at one query for the account.
 */
export async function findUserTouchingSession(
  db: Knex,
  userId: string,
  grantId: string,
  timeoutMinutes: number,
): Promise<(UserRow & { session_id: string | null }) | undefined> {
  const { rows } = await db.raw<{ rows: (UserRow & { session_id: string | null })[] }>(
    `with touched as (
       update user_sessions set last_used_at = now()
        where grant_id = ? and user_id = ? and ${ACTIVE}
       returning id)
     select users.*, (select id from touched) as session_id from users where id = ?`,
    [grantId, userId, timeoutMinutes, userId],
  );
  return rows[0];
}

export async function listActiveSessions(db: Knex, userId: string, timeoutMinutes: number): Promise<SessionRow[]> {
  const { rows } = await db.raw<{ rows: SessionRow[] }>(`select * from user_sessions where user_id = ? and ${ACTIVE} order by created_at desc`, [
    userId,
    timeoutMinutes,
  ]);
  return rows;
}

export async function listAllActiveSessions(db: Knex, timeoutMinutes: number, limit: number, offset: number): Promise<SessionRow[]> {
  const { rows } = await db.raw<{ rows: SessionRow[] }>(`select * from user_sessions where ${ACTIVE} order by created_at desc limit ? offset ?`, [
    timeoutMinutes,
    limit,
    offset,
  ]);
  return rows;
}

export type SessionSelector =
  | { kind: 'one'; userId?: string; sessionId: string }
  | { kind: 'others'; userId: string; exceptSessionId?: string }
  | { kind: 'beyond-limit'; userId: string; keep: number; timeoutMinutes: number }
  | { kind: 'grant'; grantId: string };

/** The audit_events columns naming who ended sessions (see actorColumns in src/audit/actor.ts). */
export interface EndingActor {
  actor_type: string | null;
  actor_user_id: string | null;
  actor_client_id: string | null;
}

/**
 * Marks the selected live sessions ended, deletes their grants (and so every token issued under them) and
 * writes one `session.ended` audit row per session, in one statement — atomic without a transaction, so the
 * session-limit sweep at every login costs one round trip. Returns the ended sessions.
 */
export async function revokeSessions(db: Knex, selector: SessionSelector, reason: string, actor: EndingActor): Promise<SessionRow[]> {
  let where: string;
  let bindings: Knex.Value[];
  switch (selector.kind) {
    case 'one':
      where = selector.userId ? 'id = ? and user_id = ?' : 'id = ?';
      bindings = selector.userId ? [selector.sessionId, selector.userId] : [selector.sessionId];
      break;
    case 'others':
      where = selector.exceptSessionId ? 'user_id = ? and id <> ?' : 'user_id = ?';
      bindings = selector.exceptSessionId ? [selector.userId, selector.exceptSessionId] : [selector.userId];
      break;
    case 'beyond-limit':
      where = `id in (select id from user_sessions where user_id = ? and ${ACTIVE} order by created_at desc offset ?)`;
      bindings = [selector.userId, selector.timeoutMinutes, selector.keep];
      break;
    case 'grant':
      where = 'grant_id = ?';
      bindings = [selector.grantId];
      break;
  }
  const { rows } = await db.raw<{ rows: SessionRow[] }>(
    `with ended as (update user_sessions set revoked_at = now(), revoked_reason = ? where revoked_at is null and ${where} returning *),
     grants as (
       -- = any(array(…)): one index lookup per ended grant; "in (select …)" here made Postgres scan the whole table
       delete from oidc_payloads
       where grant_id = any(array(select grant_id from ended)) or (model = 'Grant' and id = any(array(select grant_id from ended)))
     ),
     audit as (
       insert into audit_events (event, outcome, actor_type, actor_user_id, actor_client_id, user_id, client_id, details)
       select 'session.ended', 'success', ?, ?::uuid, ?, user_id, client_id, jsonb_build_object('session_id', id, 'reason', ?::text) from ended
     )
     select * from ended`,
    [reason, ...bindings, actor.actor_type, actor.actor_user_id, actor.actor_client_id, reason],
  );
  return rows;
}

/** The user of a session that is still active, which is then marked used (the account page's sign-in). */
export async function touchActiveSession(db: Knex, sessionId: string, timeoutMinutes: number): Promise<string | undefined> {
  const { rows } = await db.raw<{ rows: { user_id: string }[] }>(`update user_sessions set last_used_at = now() where id = ? and ${ACTIVE} returning user_id`, [
    sessionId,
    timeoutMinutes,
  ]);
  return rows[0]?.user_id;
}

export async function findGrantOfSession(db: Knex, sessionId: string): Promise<string | undefined> {
  const { rows } = await db.raw<{ rows: { grant_id: string }[] }>('select grant_id from user_sessions where id = ?', [sessionId]);
  return rows[0]?.grant_id;
}
