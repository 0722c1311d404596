import type { Middleware } from 'koa';
import { pageTranslator, renderPage, type PageContext } from '../interactions/render-page.js';

/** `GET /`, the address people open first: what this server is and where its public documents are. */
export function landingPage(page: PageContext): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== '/' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const tr = pageTranslator(ctx, page);
    renderPage(ctx, page, tr, 'landing', tr.t('landing.title'), {});
  };
}
