import type { ClientMetadata } from 'oidc-provider';

/** The client our own account page (/account) signs in through, with the code flow like any app. */
export const ACCOUNT_PAGE_CLIENT_ID = 'auth-connect-account';

export const accountPageCallback = (issuer: string) => `${issuer.replace(/\/$/, '')}/account/callback`;

/**
 * Built in, first-party (no consent page) and public (PKCE, no secret): the account page is part of this
 * server, so it signs people in through the same login pages, second factor and policy as every app, and its
 * sign-in is one of the user's sessions (listed, ended by "sign out everywhere" and by an admin).
 */
export function accountPageClient(issuer: string): ClientMetadata {
  return {
    client_id: ACCOUNT_PAGE_CLIENT_ID,
    client_name: 'Your account',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [accountPageCallback(issuer)],
    first_party: true,
    permissions: [],
  };
}
