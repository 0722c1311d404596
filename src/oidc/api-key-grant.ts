import type { Knex } from 'knex';
import Provider, { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { ApiKeyUsage } from '../apikeys/api-key-usage.js';
import { resolveApiKey } from '../apikeys/api-keys-service.js';
import type { AuthConfig, RolesConfig } from '../config/types.js';
import { permissionsOfRole } from '../rbac/roles.js';
import { API_KEY_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from './account-api-client.js';
import { withProviderErrors } from './database-unavailable.js';
import { accountOf } from './find-account.js';
import { issueFor } from './issuance-context.js';
import { resourceServerInfo } from './resource-servers.js';

const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const MAX_TTL_SECONDS = 15 * 60;

/**
 * RFC 8693 token exchange of a personal API key (subject_token_type names our keys) for a short-lived JWT
 * access token carrying the key's permissions, so APIs keep validating nothing but JWTs via the JWKS.
 * A revoked, expired or unknown key, or one whose owner is disabled, gets invalid_grant.
 */
export function registerApiKeyExchange(provider: Provider, deps: { db: Knex; config: { auth: AuthConfig; roles: RolesConfig }; usage: ApiKeyUsage }): void {
  const { auth, roles } = deps.config;
  const resources = new Set(auth.resources.map((r) => r.identifier));
  const ttl = Math.min(auth.jwt.access_token_expire_minutes * 60, MAX_TTL_SECONDS);

  provider.registerGrantType(
    TOKEN_EXCHANGE_GRANT,
    async (ctx: KoaContextWithOIDC) => {
      const params = ctx.oidc.params as Record<string, string | undefined>;
      if (params.subject_token_type !== API_KEY_TOKEN_TYPE) throw new errors.InvalidRequest(`subject_token_type must be ${API_KEY_TOKEN_TYPE}`);
      if (params.requested_token_type && params.requested_token_type !== ACCESS_TOKEN_TYPE)
        throw new errors.InvalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
      if (!params.subject_token) throw new errors.InvalidRequest('missing subject_token');
      const resource = params.resource ?? auth.resources[0]!.identifier;
      if (!resources.has(resource)) throw new errors.InvalidTarget(`unknown resource ${resource}`);

      const resolved = await withProviderErrors(() => resolveApiKey(deps.db, params.subject_token));
      if (!resolved) throw new errors.InvalidGrant('invalid API key');
      const { key, owner } = resolved;

      const held = permissionsOfRole(roles, owner.role).filter((p) => key.permissions.includes(p));
      const at = issueFor(
        // no grant: nothing is stored for an exchange, and a JWT access token cannot be introspected anyway
        new provider.AccessToken({ accountId: owner.id, client: ctx.oidc.client!, gty: TOKEN_EXCHANGE_GRANT, scope: params.scope } as ConstructorParameters<
          typeof provider.AccessToken
        >[0]),
        { account: accountOf(owner, roles), identityScopes: [], apiKey: { id: key.id, permissions: key.permissions } },
      );
      at.resourceServer = new provider.ResourceServer(resource, { ...resourceServerInfo(auth, resource, held.join(' ')), accessTokenTTL: ttl });
      const accessToken = await at.save();
      deps.usage.record(key.id, owner.id, ctx.ip);

      ctx.body = {
        access_token: accessToken,
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: 'Bearer',
        expires_in: at.expiration,
        ...(at.scope ? { scope: at.scope } : {}),
      };
    },
    ['subject_token', 'subject_token_type', 'requested_token_type', 'scope', 'resource'],
  );
}
