import type { Knex } from 'knex';
import type { Actor, ChangeOrigin } from '../audit/actor.js';
import { recordAudit } from '../audit/audit-log.js';
import type { AuthConfig } from '../config/types.js';
import { endSessions } from '../sessions/sessions-service.js';
import { deleteGrantsOfAccountForClient, listGrantsOfAccount, type AppGrantRow } from './app-grants-repository.js';

export interface AppAccessContext {
  db: Knex;
  config: { auth: AuthConfig };
}

/** One app a user let in: what its grants allow, together (an app has a grant per sign-in or consent). */
export interface AppAccess {
  clientId: string;
  /** identity scopes (openid, email, roles, offline_access) */
  scopes: string[];
  /** permissions on our APIs (the grants' resource scopes) */
  permissions: string[];
  /** when the oldest of its live grants was given */
  since: Date;
}

/**
 * The apps a user gave access to: oidc-provider's Grant rows of the account, one entry per client (first-
 * and third-party alike), newest first. `hidden` leaves out clients the page itself stands for.
 */
export async function listAppAccess(ctx: AppAccessContext, userId: string, hidden: readonly string[] = []): Promise<AppAccess[]> {
  const byClient = new Map<string, AppAccess>();
  for (const grant of await listGrantsOfAccount(ctx.db, userId)) {
    if (!grant.client_id || hidden.includes(grant.client_id)) continue;
    const entry = byClient.get(grant.client_id) ?? { clientId: grant.client_id, scopes: [], permissions: [], since: grant.created_at };
    const allowed = grantScopes(grant);
    entry.scopes = union(entry.scopes, allowed.scopes);
    entry.permissions = union(entry.permissions, allowed.permissions);
    if (grant.created_at < entry.since) entry.since = grant.created_at;
    byClient.set(grant.client_id, entry);
  }
  return [...byClient.values()];
}

/**
 * Takes an app's access away: every session the user signed in to it with ends, every grant the user gave
 * it goes, and with them its codes and refresh tokens; the next sign-in to it asks for consent again (a
 * third-party app). Its JWT access tokens live on until they expire (minutes). The sessions, the grants and
 * the audit row are one transaction.
 */
export async function revokeAppAccess(
  ctx: AppAccessContext,
  userId: string,
  clientId: string,
  origin: ChangeOrigin,
): Promise<{ grants: number; sessionsEnded: number }> {
  const actor: Actor = { kind: 'user', userId };
  return ctx.db.transaction(async (trx) => {
    // the grants first, so the count is of grants that were live; ending the sessions then finds theirs gone
    const grants = await deleteGrantsOfAccountForClient(trx, userId, clientId);
    const ended = await endSessions({ ...ctx, db: trx }, { kind: 'client', userId, clientId }, 'app_access_revoked', actor);
    await recordAudit(trx, {
      event: 'app_access.revoked',
      userId,
      actor,
      clientId,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { via: origin.via, grants, sessions_ended: ended.length },
    });
    return { grants, sessionsEnded: ended.length };
  });
}

function grantScopes(grant: AppGrantRow): { scopes: string[]; permissions: string[] } {
  const openid = grant.payload.openid as { scope?: unknown } | undefined;
  const resources = (grant.payload.resources ?? {}) as Record<string, unknown>;
  return {
    scopes: words(openid?.scope),
    permissions: Object.values(resources).flatMap(words),
  };
}

const words = (value: unknown): string[] => (typeof value === 'string' ? value.split(' ').filter(Boolean) : []);
const union = (a: string[], b: string[]) => [...new Set([...a, ...b])].sort();
