import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import type { ChangeOrigin } from '../audit/actor.js';
import type { CsrfProtection } from '../interactions/csrf.js';
import { renderErrorPage } from '../interactions/error-page.js';
import type { PageContext } from '../interactions/render-page.js';
import type { AccountPageState } from './account-sign-in.js';

/** What every form of /account shares: the parsed body, its CSRF check, and the origin its audit rows name. */
export function accountForms(csrf: CsrfProtection, page: PageContext) {
  const state = (ctx: Context) => ctx.state as AccountPageState;
  return {
    state,
    form: bodyParser({ enableTypes: ['form'], formLimit: '16kb', onError: () => {} }),
    body: (ctx: Context) => ((ctx.request as { body?: unknown }).body ?? {}) as Record<string, unknown>,
    origin: (ctx: Context): ChangeOrigin => ({ via: 'account_page', ip: ctx.ip, userAgent: ctx.get('user-agent') || null }),
    /** Forms: the CSRF token bound to this page's session, else a 403 page. */
    async checkedForm(ctx: Context, next: Next): Promise<void> {
      const body = ((ctx.request as { body?: unknown }).body ?? {}) as Record<string, unknown>;
      if (!csrf.verify(ctx, state(ctx).sessionId, body.csrf)) {
        renderErrorPage(ctx, page, { code: 'invalid_request', detail: 'the form expired or did not come from this site; reload the page', status: 403 });
        return;
      }
      await next();
    },
    /** After a change: back to a page of /account with a notice, as a GET (303), so a reload does not post again. */
    done(ctx: Context, path: string, notice: string): void {
      ctx.status = 303;
      ctx.redirect(`${path}?done=${notice}`);
    },
  };
}

export type AccountForms = ReturnType<typeof accountForms>;

/** Times on the page: minutes, in UTC (said so beside them). */
export const minuteOf = (date: Date | null | undefined) => date?.toISOString().slice(0, 16).replace('T', ' ');

/** The sign-in check in front of every route of /account (account-sign-in.ts). */
export type RequireSignIn = (ctx: Context, next: Next) => Promise<void>;
