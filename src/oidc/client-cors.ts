import type { Client, KoaContextWithOIDC } from 'oidc-provider';

/**
 * oidc-provider's clientBasedCORS: which Origin may read the answers of the token, revocation,
 * introspection and userinfo endpoints for this client. Only public clients (no client secret; browser
 * apps) get CORS, and only for the origins of their registered redirect URIs: that is where their code
 * runs, so no second list to register and keep in step. Confidential clients talk to these endpoints from
 * a server, so a browser origin has no business reading the answers. oidc-provider's default would also
 * open userinfo to confidential clients.
 */
export function allowClientOrigin(_ctx: KoaContextWithOIDC, origin: string, client: Client): boolean {
  // "null" is what sandboxed frames and file:// pages send, and what custom-scheme redirect URIs parse to
  if (client.clientAuthMethod !== 'none' || origin === 'null') return false;
  return (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin);
}
