import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';

const COOKIE = 'ac_csrf';

/**
 * Double-submit CSRF token for our forms: a random value in an HttpOnly, SameSite=Strict, signed cookie,
 * and in each form an HMAC of it bound to the interaction (or, on the account page, its session). A forged
 * form from another site has neither. The cookie lives under the pages' path (`/interaction`, `/account`).
 */
export function csrfProtection(secret: string, cookiePath = '/interaction') {
  const tokenFor = (nonce: string, uid: string) => createHmac('sha256', secret).update(`csrf|${cookiePath}|${nonce}|${uid}`).digest('base64url');

  return {
    issue(ctx: Context, uid: string): string {
      let nonce = ctx.cookies.get(COOKIE, { signed: true });
      if (!nonce || !/^[A-Za-z0-9_-]{22,64}$/.test(nonce)) {
        nonce = randomBytes(24).toString('base64url');
        ctx.cookies.set(COOKIE, nonce, { httpOnly: true, sameSite: 'strict', signed: true, path: cookiePath, secure: ctx.secure, overwrite: true });
      }
      return tokenFor(nonce, uid);
    },
    verify(ctx: Context, uid: string, presented: unknown): boolean {
      const nonce = ctx.cookies.get(COOKIE, { signed: true });
      if (!nonce || typeof presented !== 'string') return false;
      const expected = Buffer.from(tokenFor(nonce, uid));
      const actual = Buffer.from(presented);
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
  };
}

export type CsrfProtection = ReturnType<typeof csrfProtection>;
