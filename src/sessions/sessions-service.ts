import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-log.js';
import type { AuthConfig } from '../config/types.js';
import { isUuid } from '../input/uuid.js';
import { deleteGrants } from '../oidc/payloads-repository.js';
import { insertSession, listActiveSessions, revokeSessions, type SessionRow, type SessionSelector } from './sessions-repository.js';

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
 * Records a login. Beyond max_sessions_per_user the oldest sessions end, and with them their refresh tokens.
 */
export async function startSession(ctx: SessionsContext, session: NewSession): Promise<string> {
  const { session: limits, jwt } = ctx.config.auth;
  const id = await insertSession(ctx.db, {
    ...session,
    ip: session.ip ?? null,
    userAgent: session.userAgent ?? null,
    expiresAt: new Date(Date.now() + jwt.refresh_token_expire_days * DAY_MS),
  });
  await endSessions(ctx, { kind: 'beyond-limit', userId: session.userId, keep: limits.max_sessions_per_user, timeoutMinutes: limits.session_timeout_minutes }, 'session_limit');
  return id;
}

/** Ends sessions and revokes their grants, so their refresh tokens stop working at once. */
export async function endSessions(ctx: SessionsContext, selector: SessionSelector, reason: string, actorUserId?: string): Promise<SessionRow[]> {
  if (selector.kind === 'one' && !isUuid(selector.sessionId)) return []; // no such session; the query would fail
  const ended = await revokeSessions(ctx.db, selector, reason);
  await deleteGrants(ctx.db, ended.map((s) => s.grant_id));
  for (const session of ended) {
    await recordAudit(ctx.db, { event: 'session.ended', userId: session.user_id, actorUserId, clientId: session.client_id, details: { session_id: session.id, reason } });
  }
  return ended;
}

export function listSessions(ctx: SessionsContext, userId: string): Promise<SessionRow[]> {
  return listActiveSessions(ctx.db, userId, ctx.config.auth.session.session_timeout_minutes);
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
