import type { KoaContextWithOIDC } from 'oidc-provider';
import { renderErrorPage } from './error-page.js';
import { pageTranslator, renderPage, type PageContext } from './render-page.js';

/**
 * The pages oidc-provider renders itself: protocol errors, the logout confirmation and the signed-out
 * page. Errors show a sentence for people and, below it, the OAuth error and its description, never internals
 * (oidc-provider already turns unexpected errors into a generic server_error).
 */
export function providerPages(page: PageContext) {
  return {
    renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }) {
      renderErrorPage(ctx, page, { code: out.error, detail: out.error_description, status: Math.max(ctx.status, 400) });
    },
    logoutSource(ctx: KoaContextWithOIDC, form: string) {
      const tr = pageTranslator(ctx, page);
      renderPage(ctx, page, tr, 'logout', tr.t('logout.title'), { form, clientName: ctx.oidc.client?.clientName });
    },
    postLogoutSuccessSource(ctx: KoaContextWithOIDC) {
      const tr = pageTranslator(ctx, page);
      renderPage(ctx, page, tr, 'logged-out', tr.t('logged_out.title'), { clientName: ctx.oidc.client?.clientName });
    },
  };
}
