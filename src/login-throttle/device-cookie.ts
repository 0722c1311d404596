import type { Context } from 'koa';

/**
 * The browser side of device tokens: one cookie holding the tokens of the last few accounts signed in from
 * this browser (a shared family computer keeps several), newest first.
 */
export const DEVICE_COOKIE = 'ac_device';
const MAX_TOKENS = 5;
const SEPARATOR = '~';

export function readDeviceCookie(ctx: Context): string[] {
  const value = ctx.cookies.get(DEVICE_COOKIE);
  return value ? value.split(SEPARATOR).slice(0, MAX_TOKENS) : [];
}

/**
 * Puts `token` first and drops `replaced` (the token it renews, if any). HttpOnly, SameSite=Strict: only
 * our own sign-in form, posted from our own page, ever needs it.
 */
export function writeDeviceCookie(ctx: Context, token: string, replaced: string | undefined, maxAgeDays: number): void {
  const kept = readDeviceCookie(ctx).filter((t) => t !== replaced && t !== token);
  ctx.cookies.set(DEVICE_COOKIE, [token, ...kept].slice(0, MAX_TOKENS).join(SEPARATOR), {
    httpOnly: true,
    sameSite: 'strict',
    secure: ctx.secure, // as oidc-provider does for its own cookies
    path: '/interaction',
    maxAge: maxAgeDays * 86_400_000,
    signed: false, // each token carries its own MAC
    overwrite: true,
  });
}
