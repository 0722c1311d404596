import { isResourceServer, type RegisteredClient } from '../clients/client-policy.js';

/** The client calling introspection or revocation, as oidc-provider passes it to the policies. */
type Caller = Pick<RegisteredClient, 'clientId' | 'resource_server'>;

interface PresentedToken {
  clientId?: string;
}

/**
 * Introspection (RFC 7662 §4 leaves the policy to the server): a client learns about its own tokens only;
 * an API registered as a resource server may introspect any. Everyone else gets `active: false`, the same
 * answer as for a token that does not exist, so introspection cannot be used to probe other apps' tokens.
 */
export async function introspectionAllowed(_ctx: unknown, client: Caller, token: PresentedToken): Promise<boolean> {
  return token.clientId === client.clientId || isResourceServer(client);
}

/**
 * Revocation (RFC 7009 §2.1): only the client a token was issued to may revoke it. Another client's token
 * is answered 200 and left alone, as RFC 7009 answers an invalid token, which tells the caller nothing.
 */
export async function revocationAllowed(_ctx: unknown, client: Caller, token: PresentedToken): Promise<boolean> {
  return token.clientId === client.clientId;
}
