import type { Middleware } from 'koa';
import { renderPage, type PageContext } from '../interactions/render-page.js';

/** `GET /`, the address people open first: what this server is and where its public documents are. */
export function landingPage(page: PageContext): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== '/' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    renderPage(ctx, page, 'landing', 'Sign-in service', {});
  };
}
