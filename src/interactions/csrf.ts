import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';

/** Where a form's nonce cookie lives: the sign-in pages under /interaction, the account page, the emailed-link pages at the root. */
export interface CsrfCookie {
  name: string;
  path: string;
}

const INTERACTION_CSRF: CsrfCookie = { name: 'ac_csrf', path: '/interaction' };
export const ACCOUNT_PAGE_CSRF: CsrfCookie = { name: 'ac_csrf', path: '/account' };
export const CONSOLE_CSRF: CsrfCookie = { name: 'ac_csrf', path: '/console' };
/** Another name, so its cookie (path /) is never sent beside the sign-in pages' own under /interaction. */
export const LINK_PAGES_CSRF: CsrfCookie = { name: 'ac_csrf_links', path: '/' };

/**
 * Double-submit CSRF token for our forms: a random value in an HttpOnly, SameSite=Strict, signed cookie,
 * and in each form an HMAC of it bound to the page family (its cookie) and to the interaction (or, on the
 * account page, its session). A forged form from another site has neither.
 */
export function csrfProtection(secret: string, cookie: CsrfCookie = INTERACTION_CSRF) {
  const tokenFor = (nonce: string, uid: string) =>
    createHmac('sha256', secret).update(`csrf|${cookie.name}|${cookie.path}|${nonce}|${uid}`).digest('base64url');

  return {
    issue(ctx: Context, uid: string): string {
      let nonce = ctx.cookies.get(cookie.name, { signed: true });
      if (!nonce || !/^[A-Za-z0-9_-]{22,64}$/.test(nonce)) {
        nonce = randomBytes(24).toString('base64url');
        ctx.cookies.set(cookie.name, nonce, { httpOnly: true, sameSite: 'strict', signed: true, path: cookie.path, secure: ctx.secure, overwrite: true });
      }
      return tokenFor(nonce, uid);
    },
    verify(ctx: Context, uid: string, presented: unknown): boolean {
      const nonce = ctx.cookies.get(cookie.name, { signed: true });
      if (!nonce || typeof presented !== 'string') return false;
      const expected = Buffer.from(tokenFor(nonce, uid));
      const actual = Buffer.from(presented);
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
  };
}

export type CsrfProtection = ReturnType<typeof csrfProtection>;
