import type { Context } from 'koa';
import { errorMessageFor } from './error-messages.js';
import { pageTranslator, renderPage, type PageContext, type PageRequest } from './render-page.js';

export interface PageError {
  /** The OAuth / OpenID Connect error code (or our own, such as `not_found`), shown as the technical detail. */
  code: string;
  /** The engine's or our own technical description; shown small, below the sentence meant for people. */
  detail?: string | undefined;
  status: number;
  /** The request's `ui_locales`, when it is known here (oidc-provider's pages find it themselves). */
  uiLocales?: unknown;
}

/** An error page: a heading and a sentence for people, the code and description below for whoever fixes it. */
export function renderErrorPage(ctx: Pick<Context, 'body' | 'type' | 'status' | 'set'> & PageRequest, page: PageContext, error: PageError): void {
  const tr = pageTranslator(ctx, page, error.uiLocales);
  const { heading, sentence } = errorMessageFor(error.code, tr.locale);
  renderPage(ctx, page, tr, 'error', tr.t('error.title', { heading }), { heading, sentence, code: error.code, detail: error.detail }, error.status);
}
