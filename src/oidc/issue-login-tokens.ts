import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { UserRow } from '../accounts/users-repository.js';
import type { AuthConfig, RolesConfig } from '../config/types.js';
import { allPermissions } from '../rbac/roles.js';
import { startSession } from '../sessions/sessions-service.js';
import { acrOf } from '../mfa/mfa-policy.js';
import { accountOf } from './find-account.js';
import { issueFor } from './issuance-context.js';
import { resourceServerInfo } from './resource-servers.js';

const LOGIN_SCOPE = 'openid email roles offline_access';

export interface LoginTokens {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/**
 * Password login of the account API: exactly what the token endpoint would issue for a code — a grant,
 * a session tied to it, a JWT access token for the default API and a stored, rotating refresh token — so
 * refresh, revocation and session listing treat both alike.
 */
export async function issueLoginTokens(
  provider: Provider,
  deps: { db: Knex; config: { auth: AuthConfig; roles: RolesConfig } },
  input: { user: UserRow; clientId: string; ip: string | null; userAgent: string | null; amr: string[] },
): Promise<LoginTokens> {
  const { auth, roles } = deps.config;
  const client = await provider.Client.find(input.clientId);
  if (!client) throw new Error(`client ${input.clientId} not found`);
  const resource = auth.resources[0]!.identifier;

  const grant = new provider.Grant({ accountId: input.user.id, clientId: client.clientId });
  grant.addOIDCScope(LOGIN_SCOPE);
  grant.addResourceScope(resource, allPermissions(roles).join(' '));
  const grantId = await grant.save();
  const sessionId = await startSession(deps, { userId: input.user.id, clientId: client.clientId, grantId, ip: input.ip, userAgent: input.userAgent });

  const at = issueFor(new provider.AccessToken({ accountId: input.user.id, client, grantId, gty: 'password' }), {
    account: accountOf(input.user, roles, sessionId),
    identityScopes: ['openid', 'email', 'roles'],
    amr: input.amr,
  });
  at.resourceServer = new provider.ResourceServer(resource, resourceServerInfo(auth, resource, allPermissions(roles).join(' ')));
  const accessToken = await at.save();

  const rt = new provider.RefreshToken({
    accountId: input.user.id,
    client,
    grantId,
    gty: 'password',
    scope: LOGIN_SCOPE,
    // kept by every rotation, so refreshed access tokens say how the user signed in
    amr: input.amr,
    acr: acrOf(input.amr),
    resource,
    rotations: 0,
    expiresWithSession: false,
  });
  const refreshToken = await rt.save();
  return { access_token: accessToken, refresh_token: refreshToken, token_type: 'Bearer', expires_in: at.expiration };
}
