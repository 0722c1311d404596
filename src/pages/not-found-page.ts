import type { Middleware } from 'koa';
import { renderErrorPage } from '../interactions/error-page.js';
import type { PageContext } from '../interactions/render-page.js';

/**
 * A styled 404 page for an address nobody serves. Mounted on oidc-provider (which sees every request our
 * own routes leave), it acts only when no provider route matched: the provider defines `ctx.oidc` on every
 * request one of its routes takes, so its own 404s (and every other answer) stay as they are.
 */
export function notFoundPage(page: PageContext): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.status !== 404 || ctx.body != null || Object.hasOwn(ctx, 'oidc')) return;
    renderErrorPage(ctx, page, { code: 'not_found', detail: `${ctx.method} ${ctx.path}`, status: 404 });
  };
}
