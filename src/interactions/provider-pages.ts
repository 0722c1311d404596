import type { KoaContextWithOIDC } from 'oidc-provider';
import { renderErrorPage } from './error-page.js';
import { renderPage, type PageContext } from './render-page.js';

/**
 * The pages oidc-provider renders itself: protocol errors, the logout confirmation and the signed-out
 * page. Errors show a sentence for people and, below it, the OAuth error and its description, never internals
 * (oidc-provider already turns unexpected errors into a generic server_error).
 */
export function providerPages(page: PageContext) {
  return {
    renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }) {
      renderErrorPage(ctx, page, { code: out.error, detail: out.error_description, status: ctx.status >= 400 ? ctx.status : 400 });
    },
    logoutSource(ctx: KoaContextWithOIDC, form: string) {
      renderPage(ctx, page, 'logout', 'Sign out', { form, clientName: ctx.oidc.client?.clientName });
    },
    postLogoutSuccessSource(ctx: KoaContextWithOIDC) {
      renderPage(ctx, page, 'logged-out', 'Signed out', { clientName: ctx.oidc.client?.clientName });
    },
  };
}
