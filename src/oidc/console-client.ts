import type { ClientMetadata } from 'oidc-provider';

/** The client the admin console (/console) signs in through, with the code flow like any app. */
export const CONSOLE_CLIENT_ID = 'auth-connect-console';

export const consoleCallback = (issuer: string) => `${issuer.replace(/\/$/, '')}/console/callback`;

/**
 * Built in, first-party and public (PKCE, no secret), like the account page's client: the console signs
 * operators in through the same login pages, second factor and MFA policy as every app, and its sign-in is
 * one of their sessions. It holds no permissions of its own: what an operator may do comes from their role,
 * checked by the same services as the admin API.
 */
export function consoleClient(issuer: string): ClientMetadata {
  return {
    client_id: CONSOLE_CLIENT_ID,
    client_name: 'Admin console',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [consoleCallback(issuer)],
    first_party: true,
    permissions: [],
  };
}
