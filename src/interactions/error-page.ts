import type { Context } from 'koa';
import { errorMessageFor } from './error-messages.js';
import { renderPage, type PageContext } from './render-page.js';

export interface PageError {
  /** The OAuth / OpenID Connect error code (or our own, such as `not_found`), shown as the technical detail. */
  code: string;
  /** The engine's or our own technical description; shown small, below the sentence meant for people. */
  detail?: string | undefined;
  status: number;
}

/** An error page: a heading and a sentence for people, the code and description below for whoever fixes it. */
export function renderErrorPage(ctx: Pick<Context, 'body' | 'type' | 'status' | 'set'>, page: PageContext, error: PageError): void {
  const { heading, sentence } = errorMessageFor(error.code);
  renderPage(ctx, page, 'error', `Error: ${heading}`, { heading, sentence, code: error.code, detail: error.detail }, error.status);
}
