import type { Knex } from 'knex';
import { errors, type KoaContextWithOIDC, type Client, type ResourceServer } from 'oidc-provider';
import { findUserById } from '../accounts/users-repository.js';
import { isFirstParty, registeredPermissions } from '../clients/client-policy.js';
import type { AuthConfig, RolesConfig } from '../config/types.js';
import { allPermissions, permissionsOfRole } from '../rbac/roles.js';
import { withProviderErrors } from './database-unavailable.js';
import type { UserAccount } from './find-account.js';

/**
 * The APIs of auth_config.json `resources` as oidc-provider resource servers: JWT access tokens
 * (RFC 9068) signed with the configured algorithm, the first resource used when a client sends none.
 *
 * A resource server's `scope` is what oidc-provider lets a request ask for, show on the consent page and
 * put in a grant, so it is set per client and subject: a machine client's registration; for a
 * third-party app what its user holds (∩ the app's registration), so consent lists only what the app can
 * really receive; for a first-party app every permission, so that what it asked stays visible in the
 * code even when the user lacks it (token-claims.ts then narrows it to what is held — asking for
 * something not held must not look like asking for nothing).
 */
export function resourceIndicators(deps: { auth: AuthConfig; roles: RolesConfig; db: Knex }) {
  const { auth, roles } = deps;
  const identifiers = new Set(auth.resources.map((r) => r.identifier));
  const defaultResource = auth.resources[0]!.identifier;
  const every = allPermissions(roles);

  return {
    enabled: true,
    defaultResource: () => defaultResource,
    useGrantedResource: () => true,
    async getResourceServerInfo(ctx: KoaContextWithOIDC, indicator: string, client: Client): Promise<ResourceServer> {
      if (!identifiers.has(indicator)) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
      if (ctx.oidc.params?.grant_type === 'client_credentials') return resourceServerInfo(auth, indicator, machineScope(ctx, client).join(' '));
      if (isFirstParty(client)) return resourceServerInfo(auth, indicator, every.join(' '));
      const held = await heldBySubject(ctx, deps);
      const allows = registeredPermissions(client);
      return resourceServerInfo(auth, indicator, (held ?? every).filter((p) => !allows.length || allows.includes(p)).join(' '));
    },
  };
}

/** A machine client may ask only for what it was registered with: anything else is a mistake worth an error. */
function machineScope(ctx: KoaContextWithOIDC, client: Client): string[] {
  const registered = registeredPermissions(client);
  const asked = String(ctx.oidc.params?.scope ?? '')
    .split(' ')
    .filter(Boolean);
  const beyond = asked.filter((scope) => !registered.includes(scope));
  if (beyond.length) throw new errors.InvalidScope(`this client is not registered for ${beyond.join(' ')}`, beyond.join(' '));
  return registered;
}

/** The permissions of the user the request is for: the account being issued tokens, or the signed-in user at /auth. */
async function heldBySubject(ctx: KoaContextWithOIDC, deps: { roles: RolesConfig; db: Knex }): Promise<string[] | undefined> {
  const account = ctx.oidc.account as UserAccount | undefined;
  if (account?.user) return permissionsOfRole(deps.roles, account.user.role);
  const accountId = ctx.oidc.session?.accountId;
  if (!accountId) return undefined;
  const user = await withProviderErrors(() => findUserById(deps.db, accountId));
  return user?.is_active ? permissionsOfRole(deps.roles, user.role) : [];
}

/** A JWT access-token resource server (RFC 9068) for `indicator` whose scopes are `scope`. */
export function resourceServerInfo(auth: AuthConfig, indicator: string, scope: string): ResourceServer {
  return {
    scope,
    audience: indicator,
    accessTokenTTL: auth.jwt.access_token_expire_minutes * 60,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: auth.jwt.algorithm } },
  };
}
