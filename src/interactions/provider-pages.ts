import type { KoaContextWithOIDC } from 'oidc-provider';
import { renderPage, type PageContext } from './render-page.js';

const HEADINGS: Record<string, string> = {
  invalid_request: 'This request is not valid',
  invalid_client: 'This application is not known',
  unauthorized_client: 'This application may not do that',
  invalid_redirect_uri: 'This application is misconfigured',
  access_denied: 'Access denied',
  temporarily_unavailable: 'Please try again',
};

/**
 * The pages oidc-provider renders itself: protocol errors, the logout confirmation and the signed-out
 * page. Errors show the OAuth error and its description, never internals (oidc-provider already turns
 * unexpected errors into a generic server_error).
 */
export function providerPages(page: PageContext) {
  return {
    renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }) {
      const code = out.error;
      renderPage(ctx, page, 'error', 'Error', {
        heading: HEADINGS[code] ?? 'Something went wrong',
        message: out.error_description ?? 'The request could not be completed.',
        code,
      }, ctx.status >= 400 ? ctx.status : 400);
    },
    logoutSource(ctx: KoaContextWithOIDC, form: string) {
      renderPage(ctx, page, 'logout', 'Sign out', { form, clientName: ctx.oidc.client?.clientName });
    },
    postLogoutSuccessSource(ctx: KoaContextWithOIDC) {
      renderPage(ctx, page, 'logged-out', 'Signed out', { clientName: ctx.oidc.client?.clientName });
    },
  };
}
