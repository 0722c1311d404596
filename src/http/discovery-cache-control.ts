import type { Middleware } from 'koa';

const DISCOVERY_MAX_AGE_SECONDS = 300;
const JWKS_MAX_AGE_SECONDS = 60;

/**
 * Cache-Control for oidc-provider's discovery and JWKS answers, which send none. Discovery changes only
 * with the configuration: five minutes. The JWKS is kept short, and at most half the key prepublish
 * window: an API's own JWKS cache plus an HTTP cache in between must still hold a rotated-in key before
 * it signs (README, Key rotation).
 */
export function discoveryCacheControl(prepublishSeconds: number): Middleware {
  const jwksMaxAge = Math.max(0, Math.min(JWKS_MAX_AGE_SECONDS, Math.floor(prepublishSeconds / 2)));
  return async (ctx, next) => {
    await next();
    if (ctx.status !== 200) return;
    const route = (ctx as { oidc?: { route?: string } }).oidc?.route;
    if (route === 'discovery') ctx.set('Cache-Control', `public, max-age=${DISCOVERY_MAX_AGE_SECONDS}`);
    else if (route === 'jwks') ctx.set('Cache-Control', `public, max-age=${jwksMaxAge}`);
  };
}
