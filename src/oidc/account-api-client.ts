import type { ClientMetadata } from 'oidc-provider';

/** RFC 8693 token exchange, which turns an API key into an access token. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const API_KEY_TOKEN_TYPE = 'urn:auth-connect:params:token-type:api-key';

/** The client the account API (/api/auth/*) logs in through when a request names none. */
export const ACCOUNT_API_CLIENT_ID = 'auth-connect';

/**
 * Built in, first-party and public: password login hands it tokens, its refresh tokens are refreshed
 * at /token with just its client_id (rotation and replay detection guard them), and API-key holders
 * use it for the token exchange.
 */
export const accountApiClient: ClientMetadata = {
  client_id: ACCOUNT_API_CLIENT_ID,
  client_name: 'auth-connect account API',
  token_endpoint_auth_method: 'none',
  grant_types: ['refresh_token', TOKEN_EXCHANGE_GRANT],
  response_types: [],
  redirect_uris: [],
  first_party: true,
  permissions: [],
};
