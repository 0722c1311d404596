import { errors, type KoaContextWithOIDC, type Client, type ResourceServer } from 'oidc-provider';
import type { AuthConfig, RolesConfig } from '../config/types.js';
import { allPermissions } from '../rbac/roles.js';
import { clientPermissions } from './token-claims.js';

/** Grants where the client itself is the subject and its own permissions bound the scope. */
const MACHINE_GRANTS = new Set(['client_credentials']);

/**
 * The APIs of auth_config.json `resources` as oidc-provider resource servers: JWT access tokens
 * (RFC 9068) signed with the configured algorithm, the first resource used when a client sends none.
 */
export function resourceIndicators(auth: AuthConfig, roles: RolesConfig) {
  const identifiers = new Set(auth.resources.map((r) => r.identifier));
  const defaultResource = auth.resources[0]!.identifier;
  const userScopes = allPermissions(roles).join(' ');

  return {
    enabled: true,
    defaultResource: () => defaultResource,
    useGrantedResource: () => true,
    getResourceServerInfo(ctx: KoaContextWithOIDC, indicator: string, client: Client): ResourceServer {
      if (!identifiers.has(indicator)) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
      const machine = MACHINE_GRANTS.has(String(ctx.oidc.params?.grant_type ?? ''));
      return resourceServerInfo(auth, indicator, machine ? clientPermissions(client as unknown as { permissions?: unknown }).join(' ') : userScopes);
    },
  };
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

