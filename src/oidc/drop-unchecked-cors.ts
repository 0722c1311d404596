import type { KoaContextWithOIDC } from 'oidc-provider';

const CLIENT_ROUTES = new Set(['token', 'revocation', 'introspection', 'userinfo', 'device_authorization', 'pushed_authorization_request']);

/**
 * oidc-provider reflects the Origin on client endpoints first and asks clientBasedCORS only once it knows
 * the client; when the request fails before that (wrong secret, unknown client, bad token), the reflected
 * Origin stays on the error. This removes it, so an origin reads these answers only when
 * clientBasedCORS allowed it. Preflights stay permissive: they reveal nothing.
 */
export async function dropUncheckedCors(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  await next();
  if (ctx.method === 'OPTIONS' || !ctx.get('Origin')) return;
  const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] | undefined;
  if (!oidc || !CLIENT_ROUTES.has(oidc.route) || oidc.client) return;
  ctx.remove('Access-Control-Allow-Origin');
  ctx.remove('Access-Control-Expose-Headers');
}
