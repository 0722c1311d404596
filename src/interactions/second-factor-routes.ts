import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AccountsContext, UserRow } from '../accounts/accounts-service.js';
import { readDeviceCookie } from '../login-throttle/device-cookie.js';
import type { LoginThrottle } from '../login-throttle/login-throttle.js';
import { asksForMfa } from '../mfa/mfa-policy.js';
import { completeWithCode, completeWithEnrolment, nextStepAfterFirstFactor, waitingSignIn, type Enrolled, type WaitingSignIn } from '../mfa/mfa-sign-in.js';
import { PENDING_LOGIN_SECONDS } from '../mfa/pending-logins.js';
import { currentTotpEnrolment, hasSecondFactor, secondFactorsOf, type MfaContext, type SecondFactors } from '../mfa/second-factors-service.js';
import type { CsrfProtection } from './csrf.js';
import { LOGIN_SCRIPTS } from './login-scripts.js';
import { renderTotpEnrolment } from './totp-enrolment-page.js';
import { details, finish, formBody, type Interaction, renderInteractionError, requireCsrf } from './interaction-steps.js';
import type { Logger } from '../logger.js';
import { pageTranslator, renderPage, type PageContext, type PageTranslator } from './render-page.js';

export interface SecondFactorDeps {
  provider: () => Provider;
  accounts: AccountsContext;
  mfa: MfaContext;
  throttle: LoginThrottle;
  csrf: CsrfProtection;
  page: PageContext;
  log: Logger;
}

const COOKIE = 'ac_mfa';
const cookiePath = (uid: string) => `/interaction/${uid}`;
const stepUrl = (uid: string) => `/interaction/${uid}/second-factor`;

/** The sign-in of this browser and interaction waiting for its second factor, if any. */
export function pendingSecondFactor(ctx: Context, mfa: MfaContext, interaction: Interaction): Promise<WaitingSignIn | undefined> {
  if (interaction.prompt.name !== 'login') return Promise.resolve(undefined);
  return waitingSignIn(mfa, ctx.cookies.get(COOKIE, { signed: true }));
}

/**
 * After the first factor: the sign-in ends here with a password alone, or goes on to the second step — when
 * the user has a second factor (always asked for then), the policy demands one, or the client asked for
 * `urn:auth-connect:acr:mfa`. The password's success is kept server-side as a pending sign-in, named by a
 * signed cookie scoped to this interaction, so the second step cannot be skipped by going back to the provider.
 */
export function continueAfterFirstFactor(deps: SecondFactorDeps) {
  return async (ctx: Context, provider: Provider, interaction: Interaction, user: UserRow, amr: string[], secondFactors?: SecondFactors): Promise<void> => {
    const next = await nextStepAfterFirstFactor(deps.mfa, user, {
      amr,
      secondFactors,
      clientId: String(interaction.params.client_id ?? '') || null,
      clientAsksForMfa: asksForMfa(interaction.params.acr_values),
    });
    if (next.step === 'done') {
      await finish(ctx, provider, { login: { accountId: user.id, amr: next.amr, acr: next.acr } });
      return;
    }
    ctx.cookies.set(COOKIE, next.token, {
      httpOnly: true,
      sameSite: 'lax',
      signed: true,
      path: cookiePath(interaction.uid),
      secure: ctx.secure,
      maxAge: PENDING_LOGIN_SECONDS * 1000,
      overwrite: true,
    });
    ctx.status = 303;
    ctx.redirect(stepUrl(interaction.uid));
  };
}

/** The second step of a login on our pages: a code (authenticator or recovery), or setting up an authenticator when the policy demands one. */
export function secondFactorRoutes(deps: SecondFactorDeps): Router {
  const { csrf, page } = deps;
  const router = new Router({ prefix: '/interaction/:uid/second-factor' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb', onError: () => {} });

  router.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      renderInteractionError(ctx, page, error, deps.log);
    }
  });

  /** The pending sign-in of this browser and interaction, or undefined (expired, never started, another browser). */
  const pending = (ctx: Context, interaction: Interaction) => pendingSecondFactor(ctx, deps.mfa, interaction);

  const expired = (ctx: Context, tr: PageTranslator, interaction: Interaction) =>
    renderPage(
      ctx,
      page,
      tr,
      'login',
      tr.t('login.title'),
      {
        uid: interaction.uid,
        csrf: csrf.issue(ctx, interaction.uid),
        clientName: undefined,
        email: '',
        error: tr.t('mfa.expired'),
        scripts: LOGIN_SCRIPTS,
      },
      401,
    );

  async function showCodeStep(ctx: Context, tr: PageTranslator, interaction: Interaction, user: UserRow, error?: string, status = 200) {
    const factors = await secondFactorsOf(deps.mfa, user.id);
    renderPage(
      ctx,
      page,
      tr,
      'second-factor',
      tr.t('mfa.title'),
      {
        uid: interaction.uid,
        csrf: csrf.issue(ctx, interaction.uid),
        email: user.email,
        error,
        passkey: factors.passkeys > 0,
        scripts: factors.passkeys > 0 ? LOGIN_SCRIPTS : [],
      },
      status,
    );
  }

  async function showEnrolment(ctx: Context, tr: PageTranslator, interaction: Interaction, user: UserRow, error?: string, status = 200) {
    const enrolment = await currentTotpEnrolment(deps.mfa, user);
    renderTotpEnrolment(ctx, page, tr, { action: `${stepUrl(interaction.uid)}/enrol`, csrf: csrf.issue(ctx, interaction.uid), enrolment, error }, status);
  }

  router.get('/', async (ctx) => {
    const interaction = await details(ctx, deps.provider());
    const tr = pageTranslator(ctx, page, interaction.params.ui_locales);
    const login = await pending(ctx, interaction);
    if (!login) return expired(ctx, tr, interaction);
    if (hasSecondFactor(await secondFactorsOf(deps.mfa, login.userId))) return showCodeStep(ctx, tr, interaction, login.user);
    return showEnrolment(ctx, tr, interaction, login.user);
  });

  router.post('/', form, async (ctx) => {
    const provider = deps.provider();
    const interaction = await details(ctx, provider);
    const body = formBody(ctx);
    requireCsrf(ctx, csrf, interaction.uid, body.csrf);
    const tr = pageTranslator(ctx, page, interaction.params.ui_locales);
    const login = await pending(ctx, interaction);
    if (!login) return expired(ctx, tr, interaction);
    const origin = { via: 'login_page', ip: ctx.ip, userAgent: ctx.get('user-agent') || null } as const;
    const done = await completeWithCode(deps.mfa, deps.throttle, login, body.code, { address: ctx.ip, deviceTokens: readDeviceCookie(ctx) }, origin);
    if (done.outcome === 'expired') return expired(ctx, tr, interaction);
    if (done.outcome === 'paused') ctx.set('Retry-After', String(done.retryAfterSeconds));
    if (done.outcome !== 'signed_in') return showCodeStep(ctx, tr, interaction, login.user, tr.t('mfa.failed'), done.outcome === 'paused' ? 429 : 401);
    await finish(ctx, provider, { login: { accountId: done.user.id, amr: done.amr, acr: done.acr } });
  });

  router.post('/enrol', form, async (ctx) => {
    const provider = deps.provider();
    const interaction = await details(ctx, provider);
    const body = formBody(ctx);
    requireCsrf(ctx, csrf, interaction.uid, body.csrf);
    const tr = pageTranslator(ctx, page, interaction.params.ui_locales);
    const login = await pending(ctx, interaction);
    if (!login) return expired(ctx, tr, interaction);
    const origin = { via: 'login_page', ip: ctx.ip, userAgent: ctx.get('user-agent') || null } as const;
    let done: Enrolled;
    try {
      done = await completeWithEnrolment(deps.mfa, login, body.code, origin);
    } catch (error) {
      if ((error as { code?: string }).code !== 'INVALID_MFA_CODE') throw error;
      return showEnrolment(ctx, tr, interaction, login.user, tr.t('mfa.enrol_failed'), 400);
    }
    if (done.outcome === 'expired') return expired(ctx, tr, interaction);
    // the result is saved now; the recovery codes are shown once, with a link on to the app
    const result = { login: { accountId: done.user.id, amr: done.amr, acr: done.acr } };
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    renderPage(ctx, page, tr, 'recovery-codes', tr.t('recovery.title'), { codes: done.recoveryCodes, continueUrl: returnTo });
  });

  return router;
}
