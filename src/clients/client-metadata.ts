import type { ClientMetadata } from 'oidc-provider';
import type { StaticClientConfig } from '../config/types.js';
import type { ClientRow } from './clients-repository.js';

/** Our own client metadata, kept by oidc-provider beside the standard fields (extraClientMetadata). */
export const EXTRA_CLIENT_METADATA = ['first_party', 'permissions', 'resource_server'] as const;

/**
 * The oidc-provider metadata of a client. `client_secret` holds the secret's hash: the provider hands it
 * to our compareClientSecret and, with client_secret_jwt and HS* algorithms switched off, uses it for nothing else.
 */
export function clientMetadataFromRow(row: ClientRow): ClientMetadata {
  return {
    ...row.metadata,
    client_id: row.client_id,
    client_name: row.client_name,
    ...(row.secret_hash ? { client_secret: row.secret_hash } : {}),
    first_party: row.first_party,
    permissions: row.permissions,
    resource_server: row.resource_server,
  };
}

export function clientMetadataFromConfig(client: StaticClientConfig): ClientMetadata {
  return {
    client_id: client.client_id,
    client_name: client.client_name ?? client.client_id,
    ...grantShape(client.grant_types, client.redirect_uris),
    post_logout_redirect_uris: client.post_logout_redirect_uris,
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    ...(client.client_secret_hash ? { client_secret: client.client_secret_hash } : {}),
    ...(client.jwks ? { jwks: client.jwks as ClientMetadata['jwks'] } : {}),
    ...(client.jwks_uri ? { jwks_uri: client.jwks_uri } : {}),
    first_party: client.first_party,
    permissions: client.permissions,
    resource_server: client.resource_server,
  };
}

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** grant_types, response_types and redirect_uris consistent with the grants a client uses. */
export function grantShape(grants: readonly string[], redirectUris: string[]): Pick<ClientMetadata, 'grant_types' | 'response_types' | 'redirect_uris'> {
  const usesCode = grants.includes('authorization_code');
  // the short name of the CLI and the admin API stands for the RFC 8628 grant type
  const grantTypes = new Set(grants.map((grant) => (grant === 'device_code' ? DEVICE_CODE_GRANT : grant)));
  // refresh tokens are issued with offline_access and to first-party apps, after a browser or a device login
  if (usesCode || grantTypes.has(DEVICE_CODE_GRANT)) grantTypes.add('refresh_token');
  return { grant_types: [...grantTypes], response_types: usesCode ? ['code'] : [], redirect_uris: usesCode ? redirectUris : [] };
}
