import type { Knex } from 'knex';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { findUserById } from '../accounts/users-repository.js';
import type { RolesConfig } from '../config/types.js';
import { narrowPermissions } from '../rbac/narrow-permissions.js';
import { permissionsOfRole } from '../rbac/roles.js';
import type { UserAccount } from './find-account.js';
import { issuanceOf } from './issuance-context.js';

interface IssuedToken {
  kind: string;
  accountId?: string;
  scope?: string;
  client?: { clientId: string; permissions?: unknown } | undefined;
  resourceServer?: unknown;
}

/**
 * `roles` and `permissions` of an access token. A user's come from their current role (so a role change
 * shows in the next token), a machine's from its client's permissions; both narrowed by the requested
 * scope. The token's `scope` is set to the same narrowed list, so the token response, the JWT and its
 * `permissions` claim agree.
 */
export function tokenClaims(db: Knex, roles: RolesConfig) {
  return async (ctx: KoaContextWithOIDC | undefined, token: IssuedToken): Promise<Record<string, unknown> | undefined> => {
    if (!token.resourceServer) return undefined;
    const requested = token.scope ? token.scope.split(' ') : undefined;
    let held: string[];
    let subjectRoles: string[];
    let sessionId: string | undefined;
    const issued = issuanceOf(token);
    if (token.accountId) {
      const fromRequest = ctx?.oidc.account as UserAccount | undefined;
      const account = issued?.account ?? (fromRequest?.accountId === token.accountId ? fromRequest : undefined);
      const user = account?.user ?? (await findUserById(db, token.accountId));
      sessionId = account?.sessionId;
      subjectRoles = user ? [user.role] : [];
      held = user ? permissionsOfRole(roles, user.role) : [];
      if (issued?.permissions) held = held.filter((p) => issued.permissions!.includes(p));
    } else {
      subjectRoles = [];
      held = clientPermissions(token.client);
    }
    const permissions = narrowPermissions(requested, held);
    const identityScopes = !token.accountId ? [] : issued ? issued.identityScopes : grantedIdentityScopes(ctx);
    token.scope = [...identityScopes, ...permissions].join(' ') || undefined;
    return { roles: subjectRoles, permissions, ...(sessionId ? { session_id: sessionId } : {}) };
  };
}

/** OpenID scopes that decide what userinfo answers for this token. */
export const IDENTITY_SCOPES = new Set(['openid', 'email', 'roles']);

/**
 * The identity scopes of the code or refresh token being redeemed (narrowed by a `scope` parameter), kept in
 * the access token so that userinfo, given that token, answers with exactly the claims the user consented to.
 */
function grantedIdentityScopes(ctx: KoaContextWithOIDC | undefined): string[] {
  const entities = (ctx?.oidc as { entities?: Record<string, { scope?: string } | undefined> } | undefined)?.entities ?? {};
  const source = entities.AuthorizationCode ?? entities.RefreshToken;
  const asked = ctx?.oidc.params?.scope && entities.RefreshToken ? String(ctx.oidc.params.scope) : source?.scope;
  return (asked ?? '').split(' ').filter((scope) => IDENTITY_SCOPES.has(scope));
}

export function clientPermissions(client: { permissions?: unknown } | undefined): string[] {
  return Array.isArray(client?.permissions) ? (client.permissions as string[]) : [];
}

/** extraTokenClaims runs after the JWT payload's `scope` was taken, so carry the narrowed scope over. */
export async function alignJwtScope(_ctx: unknown, token: { scope?: string }, jwt: { payload: Record<string, unknown> }): Promise<void> {
  jwt.payload.scope = token.scope || undefined;
}
