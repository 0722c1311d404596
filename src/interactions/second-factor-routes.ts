import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { findUser, type AccountsContext, type UserRow } from '../accounts/accounts-service.js';
import { readDeviceCookie } from '../login-throttle/device-cookie.js';
import type { LoginThrottle } from '../login-throttle/login-throttle.js';
import { acrOf, amrWithSecondFactor, asksForMfa, mfaRequiredFor } from '../mfa/mfa-policy.js';
import { completePendingLogin, PENDING_LOGIN_SECONDS, pendingLogin, startPendingLogin, type PendingLogin } from '../mfa/pending-logins.js';
import {
  confirmTotpEnrolment,
  currentTotpEnrolment,
  hasSecondFactor,
  secondFactorsOf,
  verifySecondFactorCode,
  type MfaContext,
} from '../mfa/second-factors-service.js';
import type { CsrfProtection } from './csrf.js';
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

/**
 * After the first factor: the sign-in ends here with a password alone, or goes on to the second step — when
 * the user has a second factor (always asked for then), the policy demands one, or the client asked for
 * `urn:auth-connect:acr:mfa`. The password's success is kept server-side as a pending sign-in, named by a
 * signed cookie scoped to this interaction, so the second step cannot be skipped by going back to the provider.
 */
export function continueAfterFirstFactor(deps: SecondFactorDeps) {
  return async (ctx: Context, provider: Provider, interaction: Interaction, user: UserRow, amr: string[]): Promise<void> => {
    const factors = await secondFactorsOf(deps.mfa, user.id);
    const needed = hasSecondFactor(factors) || mfaRequiredFor(deps.accounts.config.auth, user.role) || asksForMfa(interaction.params.acr_values);
    if (!needed) {
      await finish(ctx, provider, { login: { accountId: user.id, amr, acr: acrOf(amr) } });
      return;
    }
    const token = await startPendingLogin(deps.mfa.db, { userId: user.id, clientId: String(interaction.params.client_id ?? '') || null, amr });
    ctx.cookies.set(COOKIE, token, {
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
  async function pending(ctx: Context, interaction: Interaction): Promise<(PendingLogin & { token: string; user: UserRow }) | undefined> {
    const token = ctx.cookies.get(COOKIE, { signed: true });
    const login = token ? await pendingLogin(deps.mfa.db, token) : undefined;
    const user = login ? await findUser(deps.accounts, login.userId) : undefined;
    if (!token || !login || !user?.is_active || interaction.prompt.name !== 'login') return undefined;
    return { ...login, token, user };
  }

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
      { uid: interaction.uid, csrf: csrf.issue(ctx, interaction.uid), email: user.email, error, passkey: factors.passkeys > 0 },
      status,
    );
  }

  async function showEnrolment(ctx: Context, tr: PageTranslator, interaction: Interaction, user: UserRow, error?: string, status = 200) {
    const enrolment = await currentTotpEnrolment(deps.mfa, user);
    renderPage(
      ctx,
      page,
      tr,
      'second-factor-enrol',
      tr.t('mfa.enrol_title'),
      {
        action: `${stepUrl(interaction.uid)}/enrol`,
        csrf: csrf.issue(ctx, interaction.uid),
        qrCode: enrolment.qrCode,
        secret: enrolment.secret,
        error,
      },
      status,
    );
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
    // the same throttle as the password: a code is a guess like any other
    const checked = await deps.throttle.check(login.user.email, { address: ctx.ip, deviceTokens: readDeviceCookie(ctx) }, () =>
      verifySecondFactorCode(deps.mfa, login.user, body.code, origin),
    );
    if (checked.outcome === 'paused') ctx.set('Retry-After', String(checked.retryAfterSeconds));
    if (checked.outcome !== 'passed') return showCodeStep(ctx, tr, interaction, login.user, tr.t('mfa.failed'), checked.outcome === 'paused' ? 429 : 401);
    if (!(await completePendingLogin(deps.mfa.db, login.token))) return expired(ctx, tr, interaction);
    const amr = amrWithSecondFactor(login.amr, checked.value);
    await finish(ctx, provider, { login: { accountId: login.userId, amr, acr: acrOf(amr) } });
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
    let recoveryCodes: string[] | undefined;
    try {
      ({ recoveryCodes } = await confirmTotpEnrolment(deps.mfa, login.user, body.code, origin));
    } catch (error) {
      if ((error as { code?: string }).code !== 'INVALID_MFA_CODE') throw error;
      return showEnrolment(ctx, tr, interaction, login.user, tr.t('mfa.enrol_failed'), 400);
    }
    if (!(await completePendingLogin(deps.mfa.db, login.token))) return expired(ctx, tr, interaction);
    const amr = amrWithSecondFactor(login.amr, 'totp');
    // the result is saved now; the recovery codes are shown once, with a link on to the app
    const returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { login: { accountId: login.userId, amr, acr: acrOf(amr) } },
      { mergeWithLastSubmission: false },
    );
    renderPage(ctx, page, tr, 'recovery-codes', tr.t('recovery.title'), { codes: recoveryCodes ?? [], continueUrl: returnTo });
  });

  return router;
}
