import type { UserAccount } from './find-account.js';

/**
 * Tokens we issue ourselves (password login, API key exchange) are saved outside an oidc-provider
 * request, where extraTokenClaims has no ctx.oidc.account; this carries the subject to it instead.
 */
export interface Issuance {
  account: UserAccount;
  identityScopes: string[];
  /** How the user signed in (RFC 8176 `amr`); none for tokens that stand for an API key. */
  amr?: string[];
  /** The API key the token stands for: its permissions bound what the owner's role gives. */
  apiKey?: { id: string; permissions: string[] };
}

const issuing = new WeakMap<object, Issuance>();

export function issueFor<T extends object>(token: T, issuance: Issuance): T {
  issuing.set(token, issuance);
  return token;
}

export function issuanceOf(token: object): Issuance | undefined {
  return issuing.get(token);
}
