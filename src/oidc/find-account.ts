import type { Knex } from 'knex';
import type { Account, FindAccount, KoaContextWithOIDC } from 'oidc-provider';
import { findUserById, type UserRow } from '../accounts/users-repository.js';
import type { AuthConfig, RolesConfig } from '../config/types.js';
import { isFirstParty, registeredPermissions } from '../clients/client-policy.js';
import { isPermissionOf, permissionsOfRole } from '../rbac/roles.js';
import { tokenPermissions } from '../rbac/token-permissions.js';
import { findUserTouchingSession } from '../sessions/sessions-repository.js';
import { startSession } from '../sessions/sessions-service.js';
import { withProviderErrors } from './database-unavailable.js';
import { takePrefetchedAccount } from './request-prefetch.js';

export interface UserAccount extends Account {
  user: UserRow;
  /** Our user session (user_sessions.id) the tokens being issued belong to. */
  sessionId?: string;
}

interface TokenForAccount {
  kind: string;
  grantId?: string;
  clientId?: string;
}

/**
 * oidc-provider's account lookup, which also keeps our sessions: redeeming a code starts one (tied to
 * the grant), refreshing needs an active one and marks it used (at the refresh grant, the rotation does). A disabled or deleted user, or a session
 * that ended or sat idle past session_timeout_minutes, has no account: the refresh fails with invalid_grant.
 */
export function accountFinder(db: Knex, config: { auth: AuthConfig; roles: RolesConfig }): FindAccount {
  const timeout = config.auth.session.session_timeout_minutes;
  return (ctx: KoaContextWithOIDC, sub: string, token?: TokenForAccount) =>
    withProviderErrors(async () => {
      if (token?.kind === 'RefreshToken' && token.grantId) {
        // read with the token at the refresh grant, which marks the session used when it rotates (refresh-retry.ts)
        const prefetched = takePrefetchedAccount(ctx, sub, token.grantId);
        const row = prefetched
          ? prefetched.user && { ...prefetched.user, session_id: prefetched.sessionId }
          : await findUserTouchingSession(db, sub, token.grantId, timeout);
        if (!row?.is_active || !row.session_id) return undefined;
        return accountOf(row, config.roles, row.session_id, ctx.oidc.client);
      }
      // redeeming a code: read with the code, and the session started when it was consumed (code-redemption.ts)
      const prefetched = token?.kind === 'AuthorizationCode' && token.grantId ? takePrefetchedAccount(ctx, sub, token.grantId) : undefined;
      if (prefetched?.sessionId)
        return prefetched.user?.is_active ? accountOf(prefetched.user, config.roles, prefetched.sessionId, ctx.oidc.client) : undefined;
      const user = prefetched ? prefetched.user : await findUserById(db, sub);
      if (!user?.is_active) return undefined;
      // redeeming a code (browser or device) is a login: it starts one of our sessions
      if ((token?.kind === 'AuthorizationCode' || token?.kind === 'DeviceCode') && token.grantId && token.clientId) {
        const sessionId = await startSession(
          { db, config },
          { userId: user.id, clientId: token.clientId, grantId: token.grantId, ip: ctx.ip, userAgent: ctx.get('user-agent') },
        );
        return accountOf(user, config.roles, sessionId, ctx.oidc.client);
      }
      return accountOf(user, config.roles, undefined, ctx.oidc.client);
    }) as ReturnType<FindAccount>;
}

/**
 * The account oidc-provider works with. Its claims (ID token, userinfo) carry the permissions the same rule
 * gives an access token for this client and scope, so no token says more than was granted.
 */
export function accountOf(user: UserRow, roles: RolesConfig, sessionId?: string, client?: object): UserAccount {
  return {
    accountId: user.id,
    user,
    sessionId,
    claims: (_use: string, scope: string) => {
      const asked = (scope ?? '').split(' ').filter(isPermissionOf(roles));
      return {
        sub: user.id,
        email: user.email,
        email_verified: user.email_verified,
        roles: [user.role],
        permissions: tokenPermissions({
          audience: isFirstParty(client) ? 'first-party' : 'third-party',
          held: permissionsOfRole(roles, user.role),
          clientAllows: registeredPermissions(client),
          asked,
        }),
      };
    },
  };
}
