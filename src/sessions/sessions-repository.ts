import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { deferring, write } from '../db/deferred-writes.js';
import type { UserRow } from '../accounts/users-repository.js';
import { runStatement } from '../db/run-statement.js';

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

/** SQL condition of a session (its columns prefixed with `alias.` when given) that may still be used; `?` is the idle timeout in minutes. */
export function activeSession(alias?: string): string {
  const column = (name: string) => (alias ? `${alias}.${name}` : name);
  return `${column('revoked_at')} is null and ${column('expires_at')} > now() and ${column('last_used_at')} > now() - make_interval(mins => ?)`;
}
const ACTIVE = activeSession();

export interface NewSessionRow {
  userId: string;
  clientId: string;
  grantId: string;
  ip: string | null;
  userAgent: string | null;
  expiresAt: Date;
}

export interface SessionLimit {
  /** max_sessions_per_user: the new session and the newest others stay */
  keep: number;
  timeoutMinutes: number;
}

/**
 * Starts a session (or renews the one of the same grant) and ends the user's oldest sessions beyond the
 * limit, in one statement. The statement's snapshot does not see the session it inserts, so the sweep
 * counts the user's other sessions and keeps `keep - 1` of them.
 */
export async function startSessionWithinLimit(db: Knex, row: NewSessionRow, limit: SessionLimit): Promise<string> {
  if (deferring(db)) {
    // held back with the login's other writes: the id is chosen here (a new grant has no session yet)
    const id = randomUUID();
    const start = startingSession(row, limit, 'true', id);
    await write(db, { ctes: start.sql, bindings: start.bindings });
    return id;
  }
  const start = startingSession(row, limit, 'true');
  const { rows } = await db.raw<{ rows: { id: string }[] }>(`with ${start.sql} select (select id from started) as id`, start.bindings);
  return rows[0]!.id;
}

/**
 * Redeeming a code is a login: marks the code consumed if, and only if, nobody did before, and only then
 * starts the session (as startSessionWithinLimit), in one statement. `sessionId` is null when the code had
 * been consumed already (a replay or a lost race).
 */
export async function consumeCodeStartingSession(
  db: Knex,
  code: { model: string; id: string },
  row: NewSessionRow,
  limit: SessionLimit,
): Promise<{ consumed: boolean; sessionId: string | null }> {
  const start = startingSession(row, limit, 'exists (select 1 from consumed)');
  const { rows } = await runStatement<{ consumed: boolean; session_id: string | null }>(
    db,
    `with consumed as (
       update oidc_payloads set consumed_at = now() where model = ? and id = ? and consumed_at is null returning id),
     ${start.sql}
     select exists (select 1 from consumed) as consumed, (select id from started) as session_id`,
    [code.model, code.id, ...start.bindings],
  );
  return { consumed: rows[0]!.consumed, sessionId: rows[0]!.session_id };
}

/** The `started` CTE, inserting the session when `guard` holds, and the CTEs ending the sessions beyond the limit. */
function startingSession(row: NewSessionRow, limit: SessionLimit, guard: string, id?: string): { sql: string; bindings: Knex.Value[] } {
  const beyondLimit = `exists (select 1 from started) and id in (
         select id from user_sessions where user_id = ? and grant_id <> ? and ${ACTIVE} order by created_at desc offset ?)`;
  const ending = endingSessions(beyondLimit);
  return {
    sql: `started as (
       insert into user_sessions (id, user_id, client_id, grant_id, ip, user_agent, expires_at)
       select coalesce(?::uuid, gen_random_uuid()), ?::uuid, ?, ?, ?, ?, ?::timestamptz where ${guard}
       on conflict (grant_id) do update set last_used_at = now(), ip = excluded.ip, user_agent = excluded.user_agent
       returning id),
     ${ending.sql}`,
    bindings: [
      id ?? null,
      row.userId,
      row.clientId,
      row.grantId,
      row.ip,
      row.userAgent?.slice(0, 512) ?? null,
      row.expiresAt,
      ...ending.bindings('session_limit', [row.userId, row.grantId, limit.timeoutMinutes, Math.max(0, limit.keep - 1)], NO_ACTOR),
    ],
  };
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
  | { kind: 'grant'; grantId: string }
  /** every session a user signed in to one app with (the account page's "remove access") */
  | { kind: 'client'; userId: string; clientId: string };

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
    case 'grant':
      where = 'grant_id = ?';
      bindings = [selector.grantId];
      break;
    case 'client':
      where = 'user_id = ? and client_id = ?';
      bindings = [selector.userId, selector.clientId];
      break;
  }
  const ending = endingSessions(where);
  const { rows } = await db.raw<{ rows: SessionRow[] }>(`with ${ending.sql} select * from ended`, ending.bindings(reason, bindings, actor));
  return rows;
}

const NO_ACTOR: EndingActor = { actor_type: null, actor_user_id: null, actor_client_id: null };

/**
 * The CTEs that end the live sessions `where` selects: `ended` marks them revoked, `grants` deletes their
 * grants (and so every token issued under them), `audit` writes one `session.ended` row per session.
 */
function endingSessions(where: string): {
  sql: string;
  bindings(reason: string, whereBindings: Knex.Value[], actor: EndingActor): Knex.Value[];
} {
  return {
    sql: `ended as (update user_sessions set revoked_at = now(), revoked_reason = ? where revoked_at is null and ${where} returning *),
     grants as (
       -- = any(array(…)): one index lookup per ended grant; "in (select …)" here made Postgres scan the whole table
       delete from oidc_payloads
       where grant_id = any(array(select grant_id from ended)) or (model = 'Grant' and id = any(array(select grant_id from ended)))
     ),
     audit as (
       insert into audit_events (event, outcome, actor_type, actor_user_id, actor_client_id, user_id, client_id, details)
       select 'session.ended', 'success', ?, ?::uuid, ?, user_id, client_id, jsonb_build_object('session_id', id, 'reason', ?::text) from ended
     )`,
    bindings: (reason, whereBindings, actor) => [reason, ...whereBindings, actor.actor_type, actor.actor_user_id, actor.actor_client_id, reason],
  };
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
