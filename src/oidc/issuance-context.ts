import type { UserAccount } from './find-account.js';

/**
 * Tokens we issue ourselves (password login, API key exchange) are saved outside an oidc-provider
 * request, where extraTokenClaims has no ctx.oidc.account; this carries the subject to it instead.
 */
export interface Issuance {
  account: UserAccount;
  identityScopes: string[];
  /** What the subject holds for this token, when narrower than the user's role (an API key's permissions). */
  permissions?: string[];
}

const issuing = new WeakMap<object, Issuance>();

export function issueFor<T extends object>(token: T, account: UserAccount, identityScopes: string[] = [], permissions?: string[]): T {
  issuing.set(token, { account, identityScopes, permissions });
  return token;
}

export function issuanceOf(token: object): Issuance | undefined {
  return issuing.get(token);
}
