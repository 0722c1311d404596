import type { Middleware } from 'koa';

const isApiPath = (path: string) => path === '/api' || path.startsWith('/api/');

/**
 * Every `/api/*` answer is JSON, also for a path or method no route knows: 404 `NOT_FOUND`, or 405
 * `METHOD_NOT_ALLOWED` with `Allow` (set by the routers' allowedMethods()). Mounted before the API routers.
 */
export const apiJsonFallbacks: Middleware = async (ctx, next) => {
  if (!isApiPath(ctx.path)) return next();
  await next();
  if (ctx.body != null || ctx.respond === false) return;
  if (ctx.status === 405) {
    ctx.body = { error: 'METHOD_NOT_ALLOWED', message: `${ctx.method} is not allowed on ${ctx.path}; allowed: ${ctx.response.get('Allow') || 'none'}` };
    ctx.status = 405;
  } else if (ctx.status === 404) {
    ctx.body = { error: 'NOT_FOUND', message: `no API route at ${ctx.path}` };
    ctx.status = 404;
  }
};

/** Mounted after the API routers: an `/api/*` request no router took ends here instead of reaching oidc-provider. */
export const endOfApi: Middleware = async (ctx, next) => {
  if (!isApiPath(ctx.path)) return next();
};
