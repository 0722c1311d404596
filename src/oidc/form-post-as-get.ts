import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import { renderErrorPage } from '../interactions/error-page.js';
import type { PageContext } from '../interactions/render-page.js';

/** The endpoints OpenID Connect requires to take POST as well as GET (Core §3.1.2.1, RP-Initiated Logout §2). */
const POST_AS_GET = new Set(['/auth', '/session/end']);
const BODY_LIMIT = 64 * 1024;
/** Redirects stay well below Node's 16 KiB request-head limit; longer forms are handed over in-process. */
const REDIRECT_URL_LIMIT = 8 * 1024;
/** oidc-provider's sign-in cookie (`cookies.names.session`, left at its default). */
const SESSION_COOKIE = '_session';

/**
 * POST at the authorization and logout endpoints. oidc-provider has them behind `enableHttpPostMethods`,
 * which it allows only with its sign-in cookie set to SameSite=None, so that cookie would travel with every
 * cross-site request. We keep SameSite=Lax and turn the POST into the GET it is equivalent to:
 * - A POST that carries the sign-in cookie (it came from our own site) is handed to the provider as a GET
 *   in-process: the form's parameters become the query, which is exactly what the provider reads on a GET.
 * - A POST without it is answered 303 with the same parameters in the query. Most of these come from an
 *   app on another site, whose POST the browser sends without our Lax cookie; the browser's GET that
 *   follows is a top-level navigation, which carries it. Without this, a cross-site POST to /session/end
 *   would return to the app as if signed out while the sign-in here stayed, and one to /auth would ask a
 *   signed-in user for the password again. A GET from any site could already do all of this, so nothing
 *   new is exposed; the parameters end up in the URL, as with a GET.
 */
export function formPostAsGet(page: PageContext): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || !POST_AS_GET.has(ctx.path)) return next();
    if (!ctx.is('application/x-www-form-urlencoded')) {
      renderErrorPage(ctx, page, { code: 'invalid_request', detail: 'only application/x-www-form-urlencoded bodies are supported', status: 400 });
      return;
    }
    const body = await readBody(ctx.req, BODY_LIMIT);
    if (body === undefined) {
      renderErrorPage(ctx, page, { code: 'invalid_request', detail: `the request body is larger than ${BODY_LIMIT / 1024} KiB`, status: 413 });
      return;
    }
    // re-encoded, so that nothing in the body (a raw '#', spaces) changes how the URL is read
    const target = `${ctx.path}?${new URLSearchParams(body).toString()}`;
    if (!ctx.cookies.get(SESSION_COOKIE, { signed: false }) && target.length <= REDIRECT_URL_LIMIT) {
      ctx.status = 303;
      ctx.set('Cache-Control', 'no-store');
      ctx.redirect(target);
      return;
    }
    ctx.req.method = 'GET';
    ctx.req.url = target;
    return next();
  };
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
