import type { Middleware } from 'koa';
import type { Knex } from 'knex';
import { findUserById, type UserRow } from '../accounts/users-repository.js';
import { isFirstParty, registeredPermissions } from '../clients/client-policy.js';
import type { RegisteredClient } from '../clients/client-policy.js';
import type { RolesConfig } from '../config/types.js';
import { AuthConnectError } from '../errors.js';
import { InsufficientPermissionsError, lacking, type Caller } from '../rbac/caller.js';
import { permissionsOfRole } from '../rbac/roles.js';
import type { AccessTokenClaims } from '@auth-connect/resource-server';

export interface ManagementAccessDeps {
  db: Knex;
  roles: RolesConfig;
  /** The registered client a token was issued to, as oidc-provider sees it (static or from the database). */
  findClient: (clientId: string) => Promise<RegisteredClient | undefined>;
}

/** Which tokens a router of our own accepts besides user tokens of first-party apps. */
export interface AcceptedTokens {
  /** Client-credentials tokens (the admin API: then the route's permission decides). */
  machines?: boolean;
  /** Tokens exchanged from API keys (only reading one's own account). */
  apiKeys?: boolean;
}

/** What managementCaller puts on `ctx.state`. */
export interface ManagementState {
  auth: AccessTokenClaims;
  caller: Caller;
  /** The calling user, for user tokens. */
  user?: UserRow;
}

/**
 * Our account and admin APIs are a resource of their own. They take user tokens issued to first-party
 * apps; third-party apps' tokens are refused whatever they carry (an app a user let "know who you are" must
 * not manage that user's account). The caller's permissions are the token's, narrowed to what the user's
 * current role or the client's current registration still grants, and a disabled user's or a deleted
 * client's token stops working at once. Needs the kit's authenticate() in front.
 */
export function managementCaller(deps: ManagementAccessDeps, accepts: AcceptedTokens = {}): Middleware {
  return async (ctx, next) => {
    const claims = ctx.state.auth as AccessTokenClaims;
    if (claims.payload.api_key_id !== undefined) {
      if (!accepts.apiKeys) throw new InsufficientPermissionsError('a token made from an API key cannot use this API');
    } else if (claims.sub === claims.clientId) {
      if (!accepts.machines) throw new InsufficientPermissionsError('this API is for users; a machine client cannot use it');
      const client = await deps.findClient(claims.clientId);
      if (!client) throw new AuthConnectError('INVALID_TOKEN', 'the client of this token no longer exists');
      const registered = registeredPermissions(client);
      ctx.state.caller = {
        actor: { kind: 'client', clientId: claims.clientId },
        permissions: claims.permissions.filter((p) => registered.includes(p)),
      } satisfies Caller;
      return next();
    } else if (!isFirstParty(await deps.findClient(claims.clientId))) {
      throw new InsufficientPermissionsError('this API accepts tokens of first-party apps only; a third-party app uses the APIs it was granted');
    }
    const user = await findUserById(deps.db, claims.sub);
    if (!user?.is_active) throw new AuthConnectError('INVALID_TOKEN', 'the token does not belong to an active user');
    const held = permissionsOfRole(deps.roles, user.role);
    ctx.state.user = user;
    ctx.state.caller = { actor: { kind: 'user', userId: user.id }, permissions: claims.permissions.filter((p) => held.includes(p)) } satisfies Caller;
    return next();
  };
}

/** Lets the request through when the caller holds every one of `permissions`; otherwise 403. */
export function requires(...permissions: string[]): Middleware {
  return async (ctx, next) => {
    const missing = lacking((ctx.state as ManagementState).caller, permissions);
    if (missing.length) throw new InsufficientPermissionsError(`this request needs the ${missing.join(', ')} permission${missing.length > 1 ? 's' : ''}`);
    return next();
  };
}
