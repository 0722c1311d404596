import type { Knex } from 'knex';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { findUserById } from '../accounts/users-repository.js';
import { isFirstParty, registeredPermissions } from '../clients/client-policy.js';
import type { RolesConfig } from '../config/types.js';
import { isPermissionOf, permissionsOfRole } from '../rbac/roles.js';
import { tokenPermissions } from '../rbac/token-permissions.js';
import type { UserAccount } from './find-account.js';
import { issuanceOf } from './issuance-context.js';

interface IssuedToken {
  kind: string;
  accountId?: string;
  scope?: string;
  client?: object | undefined;
  resourceServer?: unknown;
}

interface GrantSources {
  AuthorizationCode?: { scope?: string; amr?: string[] };
  DeviceCode?: { scope?: string; amr?: string[] };
  RefreshToken?: { scope?: string; amr?: string[] };
}

/** OpenID scopes that decide what userinfo answers for this token. */
export const IDENTITY_SCOPES = new Set(['openid', 'email', 'roles']);

/**
 * `permissions` (and `roles`, `session_id`, `api_key_id`) of an access token, by the one rule of
 * rbac/token-permissions.ts. What was asked is read from the request that began the grant (the code, or
 * the refresh token, which keeps the code's scope); what the grant allows for this token is the scope
 * oidc-provider computed (consent, a refresh's narrower `scope`). A user's holdings are read from their
 * current role, so a role change shows in the next token. The token's `scope` is set to the same list
 * plus its identity scopes, so the token response, the JWT and `permissions` agree.
 */
export function tokenClaims(db: Knex, roles: RolesConfig) {
  const isPermission = isPermissionOf(roles);
  const permissionScopes = (scope: string | undefined) => words(scope).filter(isPermission);

  return async (ctx: KoaContextWithOIDC | undefined, token: IssuedToken): Promise<Record<string, unknown> | undefined> => {
    if (!token.resourceServer) return undefined;
    if (!token.accountId) {
      const permissions = tokenPermissions({ audience: 'machine', held: registeredPermissions(token.client), asked: words(token.scope) });
      token.scope = permissions.join(' ') || undefined;
      return { permissions };
    }

    const issued = issuanceOf(token);
    const fromRequest = ctx?.oidc.account as UserAccount | undefined;
    const account = issued?.account ?? (fromRequest?.accountId === token.accountId ? fromRequest : undefined);
    const user = account?.user ?? (await findUserById(db, token.accountId));
    const rolePermissions = user ? permissionsOfRole(roles, user.role) : [];
    const firstParty = Boolean(issued) || isFirstParty(token.client);
    const sources = (ctx?.oidc as { entities?: GrantSources } | undefined)?.entities ?? {};
    const asked = issued ? permissionScopes(token.scope) : permissionScopes(requestScope(sources));
    const permissions = tokenPermissions({
      audience: firstParty ? 'first-party' : 'third-party',
      held: issued?.apiKey ? rolePermissions.filter((p) => issued.apiKey!.permissions.includes(p)) : rolePermissions,
      clientAllows: issued ? undefined : registeredPermissions(token.client),
      asked,
      granted: issued ? undefined : permissionScopes(token.scope),
    });
    const identityScopes = issued ? issued.identityScopes : grantedIdentityScopes(ctx, sources);
    token.scope = [...identityScopes, ...permissions].join(' ') || undefined;
    const showRoles = identityScopes.includes('roles') || (firstParty && !issued?.apiKey);
    // how the user signed in (RFC 8176), so an API can demand a second factor (the kit's requireMfa)
    const amr = issued ? issued.amr : signInMethods(sources);
    return {
      ...(showRoles && user ? { roles: [user.role] } : {}),
      permissions,
      ...(amr?.length ? { amr } : {}),
      ...(account?.sessionId ? { session_id: account.sessionId } : {}),
      ...(issued?.apiKey ? { api_key_id: issued.apiKey.id } : {}),
    };
  };
}

/**
 * The identity scopes of the code or refresh token being redeemed (narrowed by a `scope` parameter), kept in
 * the access token so that userinfo, given that token, answers with exactly the claims the user consented to.
 */
function grantedIdentityScopes(ctx: KoaContextWithOIDC | undefined, sources: GrantSources): string[] {
  const asked = ctx?.oidc.params?.scope && sources.RefreshToken ? String(ctx.oidc.params.scope) : requestScope(sources);
  return words(asked).filter((scope) => IDENTITY_SCOPES.has(scope));
}

/** The `amr` of the sign-in that began the grant, which its code (or device code) and refresh tokens keep. */
function signInMethods(sources: GrantSources): string[] | undefined {
  return (sources.AuthorizationCode ?? sources.DeviceCode ?? sources.RefreshToken)?.amr;
}

/** The scope of the request that began the grant: its code (or device code), kept by its refresh tokens. */
function requestScope(sources: GrantSources): string | undefined {
  return (sources.AuthorizationCode ?? sources.DeviceCode ?? sources.RefreshToken)?.scope;
}

function words(scope: string | undefined): string[] {
  return (scope ?? '').split(' ').filter(Boolean);
}

/** extraTokenClaims runs after the JWT payload's `scope` was taken, so carry the narrowed scope over. */
export async function alignJwtScope(_ctx: unknown, token: { scope?: string }, jwt: { payload: Record<string, unknown> }): Promise<void> {
  jwt.payload.scope = token.scope || undefined;
}
