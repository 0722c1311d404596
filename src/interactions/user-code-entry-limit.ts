import type { Middleware } from 'koa';
import { rateLimit } from '../http/rate-limit.js';
import type { RateLimiters } from '../http/rate-limiters.js';
import { pageTranslator, renderPage, type PageContext } from './render-page.js';

/**
 * A user code is short (8 characters of 20 letters), so entering codes must not become guessing them
 * (RFC 8628 §5.1): POSTs to the code page (entering, confirming or cancelling a code) are limited per client
 * address. The limit answers with our page and Retry-After before oidc-provider looks the code up.
 */
export function userCodeEntryLimit(limiters: RateLimiters, perMinute: number, page: PageContext, path = '/device'): Middleware {
  const limit = rateLimit(limiters.perMinute('user_code', perMinute), () => ({ status: 429, body: undefined }));
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== path) return next();
    let passed = false;
    await limit(ctx, async () => {
      passed = true;
    });
    if (!passed) {
      const tr = pageTranslator(ctx, page);
      const heading = tr.t('device_code.too_many_heading');
      renderPage(
        ctx,
        page,
        tr,
        'error',
        tr.t('error.title', { heading }),
        {
          heading,
          message: tr.t('device_code.too_many', { seconds: ctx.response.get('Retry-After') }),
          code: 'too_many_requests',
        },
        429,
      );
      return;
    }
    await next();
  };
}
