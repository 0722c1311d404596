import type { Knex } from 'knex';
import { actorColumns, type Actor, type ChangeOrigin } from '../audit/actor.js';
import { recordAudit } from '../audit/audit-log.js';
import type { AuthConfig } from '../config/types.js';
import { isUuid } from '../input/uuid.js';
import { deleteBrowserSessionsHoldingGrants, deleteBrowserSessionsOfAccount } from '../oidc/payloads-repository.js';
import {
  consumeCodeStartingSession,
  findGrantOfSession,
  type NewSessionRow,
  type SessionLimit,
  startSessionWithinLimit,
  listActiveSessions,
  listAllActiveSessions,
  revokeSessions,
  touchActiveSession,
  type SessionRow,
  type SessionSelector,
} from './sessions-repository.js';

export type { SessionRow, SessionSelector };

export interface SessionsContext {
  db: Knex;
  config: { auth: AuthConfig };
}

export interface NewSession {
  userId: string;
  clientId: string;
  grantId: string;
  ip?: string | null;
  userAgent?: string | null;
}

const DAY_MS = 86_400_000;

/**
 * Records a login. Beyond max_sessions_per_user the oldest sessions end, and with them their refresh tokens:
 * one statement (sessions-repository.ts).
 */
export async function startSession(ctx: SessionsContext, session: NewSession): Promise<string> {
  return startSessionWithinLimit(ctx.db, newSessionRow(ctx, session), sessionLimit(ctx));
}

/**
 * Redeeming an authorization code is a login: the code is consumed exactly once and, only by the request
 * that consumed it, the session starts (as startSession), in one statement. `consumed` false: the code had
 * been used (a replay, or a concurrent redemption that won).
 */
export function redeemCodeStartingSession(
  ctx: SessionsContext,
  code: { model: string; id: string },
  session: NewSession,
): Promise<{ consumed: boolean; sessionId: string | null }> {
  return consumeCodeStartingSession(ctx.db, code, newSessionRow(ctx, session), sessionLimit(ctx));
}

function newSessionRow(ctx: SessionsContext, session: NewSession): NewSessionRow {
  return {
    ...session,
    ip: session.ip ?? null,
    userAgent: session.userAgent ?? null,
    expiresAt: new Date(Date.now() + ctx.config.auth.jwt.refresh_token_expire_days * DAY_MS),
  };
}

function sessionLimit(ctx: SessionsContext): SessionLimit {
  const { max_sessions_per_user: keep, session_timeout_minutes: timeoutMinutes } = ctx.config.auth.session;
  return { keep, timeoutMinutes };
}

/**
 * Ends sessions and revokes their grants, so their refresh tokens stop working at once. Ending one session
 * ('one') or all of a user's ('others') also ends the matching browser sign-ins (oidc-provider's Session
 * behind the `_session` cookie), so the next /auth asks for the password: with 'others' every browser
 * sign-in of the user except the one carrying exceptSessionId's grant, with 'one' the one carrying its grant.
 * Token replays and revocations ('grant') and an app's access removed ('client') end only the sessions themselves.
 */
export async function endSessions(ctx: SessionsContext, selector: SessionSelector, reason: string, actor?: Actor): Promise<SessionRow[]> {
  if (selector.kind === 'one' && !isUuid(selector.sessionId)) return []; // no such session; the query would fail
  // sessions, grants and their audit rows go in one statement; ending browser sign-ins too needs a transaction.
  // One app's sessions ('client') leave the browser sign-in alone: it serves the user's other apps too.
  if (selector.kind === 'grant' || selector.kind === 'client') return revokeSessions(ctx.db, selector, reason, actorColumns(actor));
  return ctx.db.transaction(async (db) => {
    const kept = selector.kind === 'others' && selector.exceptSessionId ? await findGrantOfSession(db, selector.exceptSessionId) : undefined;
    const ended = await revokeSessions(db, selector, reason, actorColumns(actor));
    const userId = selector.kind === 'others' ? selector.userId : (selector.userId ?? ended[0]?.user_id);
    if (!userId) return ended;
    const browserEnded =
      selector.kind === 'others'
        ? await deleteBrowserSessionsOfAccount(db, userId, kept ? [kept] : [])
        : await deleteBrowserSessionsHoldingGrants(
            db,
            userId,
            ended.map((s) => s.grant_id),
          );
    if (browserEnded) await recordAudit(db, { event: 'browser_session.ended', userId, actor, details: { count: browserEnded, reason } });
    return ended;
  });
}

/**
 * Ends every sign-in of a user — sessions with their refresh tokens and browser sessions — for a password
 * change, a disable, a role change that takes permissions away, or an admin's "end sessions".
 * `keepSessionId` keeps the one session (and its browser sign-in) the user is acting from, only where the
 * user asked for the change themselves.
 */
export function endUserSessions(
  ctx: SessionsContext,
  userId: string,
  reason: string,
  options: { actor?: Actor; keepSessionId?: string } = {},
): Promise<SessionRow[]> {
  return endSessions(ctx, { kind: 'others', userId, exceptSessionId: options.keepSessionId }, reason, options.actor);
}

/** A user signs out of the session their token belongs to: its end, its grant's, and the logout's audit row, together. */
export async function logout(
  ctx: SessionsContext,
  user: { userId: string; sessionId: string; clientId: string },
  origin: Omit<ChangeOrigin, 'via'>,
): Promise<void> {
  await ctx.db.transaction(async (trx) => {
    const actor: Actor = { kind: 'user', userId: user.userId };
    await endSessions({ ...ctx, db: trx }, { kind: 'one', userId: user.userId, sessionId: user.sessionId }, 'logout', actor);
    await recordAudit(trx, { event: 'logout', userId: user.userId, actor, clientId: user.clientId, ip: origin.ip, userAgent: origin.userAgent });
  });
}

export function listSessions(ctx: SessionsContext, userId: string): Promise<SessionRow[]> {
  return listActiveSessions(ctx.db, userId, ctx.config.auth.session.session_timeout_minutes);
}

/** Every user's active sessions, a page at a time (the admin API's overview). */
export function listAllSessions(ctx: SessionsContext, page: { limit: number; offset: number }): Promise<SessionRow[]> {
  return listAllActiveSessions(ctx.db, ctx.config.auth.session.session_timeout_minutes, page.limit, page.offset);
}

export function publicSession(session: SessionRow, currentSessionId?: string) {
  return {
    id: session.id,
    client_id: session.client_id,
    ip: session.ip,
    user_agent: session.user_agent,
    created_at: session.created_at.toISOString(),
    last_used_at: session.last_used_at.toISOString(),
    expires_at: session.expires_at.toISOString(),
    current: session.id === currentSessionId,
  };
}

/** The user id of an active session, marking it used; undefined when it ended, expired or sat idle too long. */
export async function activeSessionOwner(ctx: SessionsContext, sessionId: string): Promise<string | undefined> {
  if (!isUuid(sessionId)) return undefined;
  return touchActiveSession(ctx.db, sessionId, ctx.config.auth.session.session_timeout_minutes);
}
