import { parse as parseForm } from 'node:querystring';
import type { Context, Middleware } from 'koa';
import { readBody, replayRequest } from '../http/buffered-request.js';
import { findUnstorableText } from '../input/storable-text.js';
import { pageTranslator, renderPage, type PageContext } from '../interactions/render-page.js';
import type { ProviderHolder } from './provider-holder.js';

// oidc-provider's own limit for form bodies
const FORM_LIMIT = 56 * 1024;
// endpoints a browser is sent to answer with a page; the others speak JSON (RFC 6749 §5.2)
const BROWSER_PATHS = new Set(['/auth', '/session/end', '/session/end/confirm']);

/**
 * Hands a request to oidc-provider, unless a query or form parameter (name or value) holds a NUL byte:
 * Postgres cannot store it, and the provider would carry it into a lookup or a saved session and fail
 * with a 500. The caller gets 400 invalid_request instead. Decoding a form yields no lone surrogates
 * (bad UTF-8 becomes U+FFFD), and text hidden inside JSON parameters is caught by the adapter.
 */
export function providerHandoff(providers: ProviderHolder, page: PageContext): Middleware {
  return async (ctx) => {
    let req = ctx.req;
    let where = findUnstorableText(ctx.query, 'a query parameter');
    if (!where && ctx.method === 'POST' && ctx.is('application/x-www-form-urlencoded')) {
      const body = await readBody(ctx.req, FORM_LIMIT);
      if (!body) return refuse(ctx, page, 'the request body is too large');
      where = findUnstorableText(decodeForm(body, ctx.request.charset), 'a form parameter');
      req = replayRequest(ctx.req, body);
    }
    if (where) return refuse(ctx, page, `${where} contains a NUL byte, which is not allowed`);
    ctx.respond = false;
    await providers.handle(req, ctx.res);
  };
}

// as oidc-provider decodes it; a charset it cannot decode is left for the provider to refuse
function decodeForm(body: Buffer, charset: string): unknown {
  try {
    return parseForm(charset ? new TextDecoder(charset).decode(body) : body.toString());
  } catch {
    return {};
  }
}

function refuse(ctx: Context, page: PageContext, description: string): void {
  if (BROWSER_PATHS.has(ctx.path)) {
    const tr = pageTranslator(ctx, page);
    renderPage(
      ctx,
      page,
      tr,
      'error',
      tr.t('error.title', { heading: tr.t('error.request_not_valid.heading') }),
      { heading: tr.t('error.request_not_valid.heading'), message: description, code: 'invalid_request' },
      400,
    );
    return;
  }
  ctx.status = 400;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: 'invalid_request', error_description: description };
}
