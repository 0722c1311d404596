import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { errors, type default as Provider } from 'oidc-provider';
import { authenticate, findUser, type AccountsContext, type UserRow } from '../accounts/accounts-service.js';
import { registeredPermissions } from '../clients/client-policy.js';
import type { RolesConfig } from '../config/types.js';
import type { Translator } from '../i18n/index.js';
import { isPermissionOf, permissionsOfRole } from '../rbac/roles.js';
import { tokenPermissions } from '../rbac/token-permissions.js';
import type { Logger } from '../logger.js';
import { rateLimit } from '../http/rate-limit.js';
import type { RateLimiters } from '../http/rate-limiters.js';
import { readDeviceCookie, writeDeviceCookie } from '../login-throttle/device-cookie.js';
import type { LoginThrottle } from '../login-throttle/login-throttle.js';
import { MFA_STEP_UP } from '../oidc/interaction-policy.js';
import { consentItems } from './consent-items.js';
import { LOGIN_SCRIPTS } from './login-scripts.js';
import type { continueAfterFirstFactor } from './second-factor-routes.js';
import { clientNameOf, details, finish, formBody, renderInteractionError, requireCsrf, type Interaction } from './interaction-steps.js';
import type { CsrfProtection } from './csrf.js';
import { pageTranslator, renderPage, type PageContext } from './render-page.js';

export interface InteractionDeps {
  /** The provider in service now (it is replaced when signing keys change). */
  provider: () => Provider;
  accounts: AccountsContext;
  throttle: LoginThrottle;
  csrf: CsrfProtection;
  page: PageContext;
  log: Logger;
  loginPerMinute: number;
  rateLimiters: RateLimiters;
  /** Where a sign-in goes after the password: on to the second step, or done (second-factor-routes.ts). */
  afterFirstFactor: ReturnType<typeof continueAfterFirstFactor>;
}

// the same words for every account: they say how the throttle works, never whether an account exists
const pausedLogin = ({ t }: Translator, seconds: number) =>
  seconds < 90 ? t('login.paused_seconds', { seconds }) : t('login.paused_minutes', { minutes: Math.ceil(seconds / 60) });

/** Our login and consent pages, under /interaction/:uid where oidc-provider's interaction cookie is scoped. */
export function interactionRoutes(deps: InteractionDeps): Router {
  const { accounts, csrf, page } = deps;
  const router = new Router({ prefix: '/interaction/:uid' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb', onError: () => {} });

  router.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      renderInteractionError(ctx, page, error, deps.log);
    }
  });

  router.get('/', async (ctx) => {
    const provider = deps.provider();
    const interaction = await details(ctx, provider);
    const clientName = await clientNameOf(provider, interaction);
    const tr = pageTranslator(ctx, page, interaction.params.ui_locales);
    // step-up: signed in with a password alone, asked for a second factor by the client
    if (interaction.prompt.name === 'login' && interaction.prompt.reasons.includes(MFA_STEP_UP) && interaction.session?.accountId) {
      const user = await findUser(accounts, interaction.session.accountId);
      if (user?.is_active) return deps.afterFirstFactor(ctx, provider, interaction, user, interaction.session.amr ?? ['pwd']);
    }
    if (interaction.prompt.name === 'login') {
      renderPage(ctx, page, tr, 'login', tr.t('login.title'), {
        uid: interaction.uid,
        csrf: csrf.issue(ctx, interaction.uid),
        clientName,
        email: loginHint(interaction),
        error: undefined,
        scripts: LOGIN_SCRIPTS,
      });
      return;
    }
    const user = interaction.session?.accountId ? await findUser(accounts, interaction.session.accountId) : undefined;
    const asked = interaction.prompt.details as { missingOIDCScope?: string[] };
    renderPage(ctx, page, tr, 'consent', tr.t('consent.title'), {
      uid: interaction.uid,
      csrf: csrf.issue(ctx, interaction.uid),
      clientName: clientName ?? interaction.params.client_id,
      email: user?.email ?? '',
      items: consentItems(
        tr,
        asked.missingOIDCScope,
        await permissionsOnConsent(provider, interaction, user, accounts.config.roles),
        accounts.config.roles.permissions,
      ),
    });
  });

  const requestRate = rateLimit(deps.rateLimiters.perMinute('page_login', deps.loginPerMinute), () => ({
    status: 429,
    body: 'Too many sign-in attempts. Try again in a minute.',
  }));
  router.post('/login', requestRate, form, async (ctx) => {
    const provider = deps.provider();
    const interaction = await details(ctx, provider);
    const body = formBody(ctx);
    requireCsrf(ctx, csrf, interaction.uid, body.csrf);
    if (interaction.prompt.name !== 'login') throw new errors.InvalidRequest('this sign-in step is already complete');
    const email = typeof body.email === 'string' ? body.email.slice(0, 254) : '';
    const origin = { via: 'page', userAgent: ctx.get('user-agent'), clientId: String(interaction.params.client_id ?? '') || null } as const;
    const signIn = await authenticate(
      accounts,
      deps.throttle,
      { email, password: body.password },
      { address: ctx.ip, deviceTokens: readDeviceCookie(ctx) },
      origin,
    );
    if (signIn.outcome === 'unverified') {
      const tr = pageTranslator(ctx, page, interaction.params.ui_locales);
      const data = {
        uid: interaction.uid,
        csrf: csrf.issue(ctx, interaction.uid),
        clientName: await clientNameOf(provider, interaction),
        email,
        error: tr.t('login.not_verified'),
      };
      renderPage(ctx, page, tr, 'login', tr.t('login.title'), { ...data, resendLink: `/verify-email/resend?email=${encodeURIComponent(email)}` }, 403);
      return;
    }
    if (signIn.outcome !== 'signed_in') {
      const paused = signIn.outcome === 'paused';
      if (paused) ctx.set('Retry-After', String(signIn.retryAfterSeconds));
      const tr = pageTranslator(ctx, page, interaction.params.ui_locales);
      const error = paused ? pausedLogin(tr, signIn.retryAfterSeconds) : tr.t('login.failed');
      renderPage(
        ctx,
        page,
        tr,
        'login',
        tr.t('login.title'),
        {
          uid: interaction.uid,
          csrf: csrf.issue(ctx, interaction.uid),
          clientName: await clientNameOf(provider, interaction),
          email,
          error,
          scripts: LOGIN_SCRIPTS,
        },
        paused ? 429 : 401,
      );
      return;
    }
    writeDeviceCookie(ctx, signIn.deviceToken, signIn.replacedDeviceToken, deps.throttle.knownDeviceDays);
    await deps.afterFirstFactor(ctx, provider, interaction, signIn.user, ['pwd'], signIn.secondFactors);
  });

  router.post('/confirm', form, async (ctx) => {
    const provider = deps.provider();
    const interaction = await details(ctx, provider);
    requireCsrf(ctx, csrf, interaction.uid, formBody(ctx).csrf);
    if (interaction.prompt.name !== 'consent' || !interaction.session?.accountId) throw new errors.InvalidRequest('nothing to consent to');
    const grantId = await saveConsent(provider, interaction);
    await finish(ctx, provider, { consent: { grantId } });
  });

  router.post('/abort', form, async (ctx) => {
    const provider = deps.provider();
    const interaction = await details(ctx, provider);
    requireCsrf(ctx, csrf, interaction.uid, formBody(ctx).csrf);
    await finish(ctx, provider, { error: 'access_denied', error_description: 'End-User aborted interaction' });
  });

  return router;
}

async function saveConsent(provider: Provider, interaction: Interaction): Promise<string> {
  const { prompt, params, session, grantId } = interaction;
  const grant =
    (grantId ? await provider.Grant.find(grantId) : undefined) ?? new provider.Grant({ accountId: session!.accountId, clientId: String(params.client_id) });
  const detail = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  if (detail.missingOIDCScope) grant.addOIDCScope(detail.missingOIDCScope.join(' '));
  if (detail.missingOIDCClaims) grant.addOIDCClaims(detail.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(detail.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  return grant.save();
}

/** The permissions the app receives if the user allows: what it asks for, of what the user holds and the app may have. */
async function permissionsOnConsent(provider: Provider, interaction: Interaction, user: UserRow | undefined, roles: RolesConfig): Promise<string[]> {
  if (!user) return [];
  const client = await provider.Client.find(String(interaction.params.client_id));
  const asked = String(interaction.params.scope ?? '')
    .split(' ')
    .filter(isPermissionOf(roles));
  return tokenPermissions({ audience: 'third-party', held: permissionsOfRole(roles, user.role), clientAllows: registeredPermissions(client), asked });
}

function loginHint(interaction: Interaction): string {
  const hint = interaction.params.login_hint;
  return typeof hint === 'string' && hint.length <= 254 ? hint : '';
}
