import type { KoaContextWithOIDC } from 'oidc-provider';
import { isFirstParty } from '../clients/client-policy.js';

/**
 * First-party clients skip the consent page: for them the grant is extended to cover whatever they ask
 * for. Everyone else gets the grant they consented to before, if any (oidc-provider's default).
 */
export async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { client, session, result } = ctx.oidc;
  if (!client || !session?.accountId) return undefined;
  const grantId = (result?.consent as { grantId?: string } | undefined)?.grantId ?? session.grantIdFor(client.clientId);
  const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
  if (!isFirstParty(client)) return existing;

  const grant = existing ?? new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  const scope = ctx.oidc.requestParamScopes;
  grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
  for (const [indicator, resourceServer] of Object.entries(ctx.oidc.resourceServers ?? {})) {
    const allowed = new Set(resourceServer.scope.split(' '));
    const asked = [...scope].filter((s) => allowed.has(s));
    if (asked.length) grant.addResourceScope(indicator, asked.join(' '));
  }
  const claims = ctx.oidc.requestParamClaims;
  if (claims?.size) grant.addOIDCClaims([...claims]);
  await grant.save();
  return grant;
}
