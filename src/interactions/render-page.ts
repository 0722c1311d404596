import { Eta } from 'eta';
import type { Context } from 'koa';
import { viewsDir } from '../paths.js';

// Templates escape every value unless a template asks for raw output (`<%~`), which only the layout's
// body and oidc-provider's own logout form use.
const eta = new Eta({ views: viewsDir, cache: true, autoEscape: true, autoTrim: false });

export interface PageContext {
  organization: string;
}

/** Renders `view` inside the layout as the response, never cached. */
export function renderPage(ctx: Pick<Context, 'body' | 'type' | 'status' | 'set'>, page: PageContext, view: string, title: string, data: object, status = 200): void {
  const body = eta.render(`./${view}`, { ...page, ...data });
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = eta.render('./layout', { ...page, title, body });
}
