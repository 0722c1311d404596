import type { AccountsContext } from '../accounts/accounts-service.js';
import { firstPartySignIn, type SignedInState } from '../interactions/first-party-sign-in.js';
import { ACCOUNT_PAGE_CLIENT_ID, accountPageCallback } from '../oidc/account-page-client.js';
import type { RequestHandler } from '../oidc/call-token-endpoint.js';

export type AccountPageState = SignedInState;

/**
 * The account page signs in like any app, with the code flow and PKCE through our own login pages (so the
 * second factor and the policy apply), and keeps the resulting session's id in a signed cookie under
 * /account (interactions/first-party-sign-in.ts, shared with the admin console).
 */
export function accountSignIn(deps: { accounts: AccountsContext; providerHandler: RequestHandler; issuer: string }) {
  return firstPartySignIn(deps, { clientId: ACCOUNT_PAGE_CLIENT_ID, callback: accountPageCallback(deps.issuer), path: '/account', cookie: 'ac_account' });
}
