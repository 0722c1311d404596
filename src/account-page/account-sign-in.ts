import { createHash, randomBytes } from 'node:crypto';
import type { Context, Next } from 'koa';
import { decodeJwt } from 'jose';
import { findUser, type AccountsContext, type UserRow } from '../accounts/accounts-service.js';
import { ACCOUNT_PAGE_CLIENT_ID, accountPageCallback } from '../oidc/account-page-client.js';
import { callTokenEndpoint, type RequestHandler } from '../oidc/call-token-endpoint.js';
import { activeSessionOwner } from '../sessions/sessions-service.js';

const SESSION_COOKIE = 'ac_account';
const LOGIN_COOKIE = 'ac_account_login';
const LOGIN_MINUTES = 10;

/** A section of this page (`/account/sessions`), or the page itself for anything else. */
const returnPath = (path: string) => (/^\/account(\/[a-z-]+)?$/.test(path) ? path : '/account');

export interface AccountPageState {
  user: UserRow;
  /** Our session (user_sessions.id) this page is signed in with: it ends with it. */
  sessionId: string;
}

const cookieOptions = (ctx: Context, maxAge?: number) =>
  ({ httpOnly: true, sameSite: 'lax', signed: true, path: '/account', secure: ctx.secure, overwrite: true, ...(maxAge ? { maxAge } : {}) }) as const;

/**
 * The account page signs in like any app, with the code flow and PKCE through our own login pages (so the
 * second factor and the policy apply), and keeps the resulting session's id in a signed cookie. Each request
 * checks that session is still active: ending it (sign out everywhere, an admin, a password change) ends
 * the page's sign-in too.
 */
export function accountSignIn(deps: { accounts: AccountsContext; providerHandler: RequestHandler; issuer: string }) {
  const sessions = { db: deps.accounts.db, config: deps.accounts.config };

  /** Sends the browser to /auth; the verifier and state wait in a short-lived signed cookie. */
  function redirectToLogin(ctx: Context): void {
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    // the section asked for, to come back to after the sign-in (a path of this page only: no open redirect)
    const back = Buffer.from(returnPath(ctx.path)).toString('base64url');
    ctx.cookies.set(LOGIN_COOKIE, `${state}.${verifier}.${back}`, cookieOptions(ctx, LOGIN_MINUTES * 60_000));
    const url = new URL('/auth', deps.issuer);
    url.search = new URLSearchParams({
      client_id: ACCOUNT_PAGE_CLIENT_ID,
      redirect_uri: accountPageCallback(deps.issuer),
      response_type: 'code',
      scope: 'openid',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state,
    }).toString();
    ctx.redirect(url.href);
  }

  return {
    /** Puts the signed-in user on ctx.state, or sends the browser to sign in (GET) / answers 401 (forms). */
    async requireSignIn(ctx: Context, next: Next): Promise<void> {
      const sessionId = ctx.cookies.get(SESSION_COOKIE, { signed: true });
      const userId = sessionId ? await activeSessionOwner(sessions, sessionId) : undefined;
      const user = userId ? await findUser(deps.accounts, userId) : undefined;
      if (!sessionId || !user?.is_active) {
        if (ctx.method === 'GET') return redirectToLogin(ctx);
        ctx.status = 401;
        ctx.body = 'Your sign-in on this page ended. Reload the page to sign in again.';
        return;
      }
      (ctx.state as AccountPageState).user = user;
      (ctx.state as AccountPageState).sessionId = sessionId;
      await next();
    },

    /** The code comes back: redeemed in-process at our token endpoint (PKCE checked there), the session kept. */
    async callback(ctx: Context): Promise<void> {
      const [state, verifier, back] = (ctx.cookies.get(LOGIN_COOKIE, { signed: true }) ?? '').split('.');
      ctx.cookies.set(LOGIN_COOKIE, null, cookieOptions(ctx));
      const code = typeof ctx.query.code === 'string' ? ctx.query.code : undefined;
      if (!state || !verifier || ctx.query.state !== state || !code) return redirectToLogin(ctx);
      const { status, body } = await callTokenEndpoint(
        deps.providerHandler,
        { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: accountPageCallback(deps.issuer), client_id: ACCOUNT_PAGE_CLIENT_ID },
        ctx.get('user-agent'),
      );
      // the token came from our own endpoint in this process: its claims need no signature check here
      const sessionId = status === 200 && typeof body.access_token === 'string' ? decodeJwt(body.access_token).session_id : undefined;
      if (typeof sessionId !== 'string') return redirectToLogin(ctx);
      ctx.cookies.set(SESSION_COOKIE, sessionId, cookieOptions(ctx));
      ctx.redirect(returnPath(Buffer.from(back ?? '', 'base64url').toString()));
    },

    signOut(ctx: Context): void {
      ctx.cookies.set(SESSION_COOKIE, null, cookieOptions(ctx));
    },
  };
}
