import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import { renderErrorPage } from '../interactions/error-page.js';
import type { PageContext } from '../interactions/render-page.js';

/** The endpoints OpenID Connect requires to take POST as well as GET (Core §3.1.2.1, RP-Initiated Logout §2). */
const POST_AS_GET = new Set(['/auth', '/session/end']);
const BODY_LIMIT = 64 * 1024;

/**
 * POST at the authorization and logout endpoints. oidc-provider has them behind `enableHttpPostMethods`,
 * which it allows only with its session cookie set to SameSite=None, so that cookie would travel with every
 * cross-site request. We keep SameSite=Lax and give the provider the same request as a GET instead: the
 * form's parameters become the query, which is exactly what the provider reads on a GET. A cross-site POST
 * therefore arrives without the sign-in cookie and the user is asked to sign in again (or, at /session/end,
 * the page cannot tell which sign-in to end); same-site POSTs behave like GETs.
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
    ctx.req.method = 'GET';
    ctx.req.url = `${ctx.path}?${new URLSearchParams(body).toString()}`;
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
