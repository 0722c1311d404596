import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { isAuthConnectError } from '../errors.js';
import { renderErrorPage } from '../interactions/error-page.js';
import { pageTranslator, renderPage } from '../interactions/render-page.js';
import { renderTotpEnrolment } from '../interactions/totp-enrolment-page.js';
import { findUnstorableText } from '../input/storable-text.js';
import { isUuid } from '../input/uuid.js';
import { addPasskey, listUserPasskeys, passkeyRegistrationOptions, removePasskey } from '../mfa/passkeys-service.js';
import {
  confirmTotpEnrolment,
  currentTotpEnrolment,
  lastRecoveryCodeUse,
  regenerateRecoveryCodes,
  removeTotp,
  secondFactorsOf,
} from '../mfa/second-factors-service.js';
import { endSessions } from '../sessions/sessions-service.js';
import { accountSignIn, type AccountPageState } from './account-sign-in.js';
import { accountForms } from './account-forms.js';
import type { AccountPageDeps } from './account-page-deps.js';
import { noticeOf } from './account-notices.js';
import { apiKeyRoutes } from './api-key-routes.js';
import { profileRoutes } from './profile-routes.js';
import { sessionAndAppRoutes } from './sessions-and-apps-routes.js';

export type { AccountPageDeps };

/**
 * /account: the signed-in user's own page (first-party, server-rendered, no inline script), signed in through
 * our own login (account-sign-in.ts). This file has the overview (profile and security: the second factors);
 * the profile's changes, sessions, apps and API keys have files of their own beside it. Every form carries a
 * CSRF token bound to the page's session.
 */
export function accountPageRoutes(deps: AccountPageDeps): Router<AccountPageState> {
  const { csrf, page, mfa } = deps;
  const router = new Router<AccountPageState>({ prefix: '/account' });
  const signIn = accountSignIn(deps);
  const forms = accountForms(csrf, page);
  const { form, checkedForm, state, origin } = forms;
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', onError: () => {} });
  /** The passkey script's JSON calls carry the page's CSRF token in a header. */
  const checkedCall = async (ctx: Context, next: () => Promise<unknown>) => {
    if (!csrf.verify(ctx, state(ctx).sessionId, ctx.get('x-csrf-token'))) {
      ctx.status = 403;
      ctx.body = { error: 'csrf' };
      return;
    }
    ctx.set('Cache-Control', 'no-store');
    await next();
  };

  router.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (!isAuthConnectError(error) || error.status >= 500) throw error;
      renderErrorPage(ctx, page, { code: 'invalid_request', detail: error.message, status: error.status });
    }
  });

  router.get('/callback', async (ctx) => {
    if (ctx.query.error) return renderErrorPage(ctx, page, { code: String(ctx.query.error).slice(0, 64), status: 400 });
    await signIn.callback(ctx);
  });

  router.get('/', signIn.requireSignIn, async (ctx) => {
    const { user, sessionId } = state(ctx);
    const tr = pageTranslator(ctx, page);
    const [factors, passkeys, recoveryCodeUsed] = await Promise.all([
      secondFactorsOf(mfa, user.id),
      listUserPasskeys(mfa, user.id),
      lastRecoveryCodeUse(mfa, user.id),
    ]);
    renderPage(ctx, page, tr, 'account', tr.t('account.title'), {
      current: 'profile',
      email: user.email,
      emailVerified: user.email_verified,
      csrf: csrf.issue(ctx, sessionId),
      factors,
      notice: noticeOf(ctx, tr),
      recoveryCodeUsed: recoveryCodeUsed?.toISOString().slice(0, 16).replace('T', ' '),
      passkeyEnrolment: true,
      scripts: ['/assets/passkey-register.js'],
      passkeys: passkeys.map((p) => ({
        id: p.id,
        name: p.name,
        created: p.created_at.toISOString().slice(0, 10),
        lastUsed: p.last_used_at?.toISOString().slice(0, 16).replace('T', ' '),
      })),
    });
  });

  router.get('/totp', signIn.requireSignIn, async (ctx) => {
    const { user, sessionId } = state(ctx);
    const tr = pageTranslator(ctx, page);
    renderTotpEnrolment(ctx, page, tr, { action: '/account/totp', csrf: csrf.issue(ctx, sessionId), enrolment: await currentTotpEnrolment(mfa, user) });
  });

  router.post('/totp', signIn.requireSignIn, form, checkedForm, async (ctx) => {
    const { user, sessionId } = state(ctx);
    const tr = pageTranslator(ctx, page);
    const body = (ctx.request as { body: Record<string, unknown> }).body;
    try {
      const { recoveryCodes } = await confirmTotpEnrolment(mfa, user, body.code, origin(ctx));
      if (!recoveryCodes) return ctx.redirect('/account?done=saved');
      renderPage(ctx, page, tr, 'recovery-codes', tr.t('recovery.title'), { codes: recoveryCodes, continueUrl: '/account?done=saved' });
    } catch (error) {
      if ((error as { code?: string }).code !== 'INVALID_MFA_CODE') throw error;
      const enrolment = await currentTotpEnrolment(mfa, user);
      renderTotpEnrolment(ctx, page, tr, { action: '/account/totp', csrf: csrf.issue(ctx, sessionId), enrolment, error: tr.t('mfa.enrol_failed') }, 400);
    }
  });

  router.post('/totp/remove', signIn.requireSignIn, form, checkedForm, async (ctx) => {
    await removeTotp(mfa, state(ctx).user, origin(ctx));
    ctx.status = 303;
    ctx.redirect('/account?done=saved');
  });

  router.post('/recovery-codes', signIn.requireSignIn, form, checkedForm, async (ctx) => {
    const tr = pageTranslator(ctx, page);
    const codes = await regenerateRecoveryCodes(mfa, state(ctx).user, origin(ctx));
    renderPage(ctx, page, tr, 'recovery-codes', tr.t('recovery.title'), { codes, continueUrl: '/account?done=saved' });
  });

  router.post('/passkeys/options', signIn.requireSignIn, checkedCall, async (ctx) => {
    const { user, sessionId } = state(ctx);
    ctx.body = await passkeyRegistrationOptions(mfa, deps.rp, user, sessionId);
  });

  router.post('/passkeys', signIn.requireSignIn, checkedCall, json, async (ctx) => {
    const { user, sessionId } = state(ctx);
    const body = ((ctx.request as { body?: unknown }).body ?? {}) as { name?: unknown; response?: unknown };
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    if (!name || name.length > 64 || findUnstorableText(name, 'name') || !body.response || typeof body.response !== 'object') {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', message: 'a name (1 to 64 characters) and the browser response are needed' };
      return;
    }
    const passkey = await addPasskey(mfa, deps.rp, user, sessionId, { name, response: body.response as never }, origin(ctx));
    if (!passkey) {
      ctx.status = 400;
      ctx.body = { error: 'passkey_refused', message: 'the passkey could not be verified; try again' };
      return;
    }
    ctx.status = 201;
    ctx.body = { id: passkey.id, name: passkey.name };
  });

  router.post('/passkeys/:id/remove', signIn.requireSignIn, form, checkedForm, async (ctx) => {
    const id = String(ctx.params.id);
    if (!isUuid(id)) return renderErrorPage(ctx, page, { code: 'invalid_request', detail: 'no such passkey', status: 404 });
    await removePasskey(mfa, state(ctx).user, id, origin(ctx));
    ctx.status = 303;
    ctx.redirect('/account?done=saved');
  });

  profileRoutes(router, deps, forms, signIn.requireSignIn);
  sessionAndAppRoutes(router, deps, forms, signIn.requireSignIn);
  apiKeyRoutes(router, deps, forms, signIn.requireSignIn);

  router.post('/logout', signIn.requireSignIn, form, checkedForm, async (ctx) => {
    const { user, sessionId } = state(ctx);
    await endSessions({ db: deps.accounts.db, config: deps.accounts.config }, { kind: 'one', userId: user.id, sessionId }, 'signed_out', {
      kind: 'user',
      userId: user.id,
    });
    signIn.signOut(ctx);
    ctx.status = 303;
    ctx.redirect('/');
  });

  return router;
}
