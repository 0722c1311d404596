import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { errors, type default as Provider, type InteractionResults } from 'oidc-provider';
import { authenticate, findUser, type AccountsContext, type UserRow } from '../accounts/accounts-service.js';
import { registeredPermissions } from '../clients/client-policy.js';
import type { RolesConfig } from '../config/types.js';
import type { Translator } from '../i18n/index.js';
import { allPermissions, permissionsOfRole } from '../rbac/roles.js';
import { tokenPermissions } from '../rbac/token-permissions.js';
import { isDatabaseUnavailable } from '../db/database-errors.js';
import { findUnstorableText } from '../input/storable-text.js';
import type { Logger } from '../logger.js';
import { rateLimit } from '../http/rate-limit.js';
import type { RateLimiters } from '../http/rate-limiters.js';
import { readDeviceCookie, writeDeviceCookie } from '../login-throttle/device-cookie.js';
import type { LoginThrottle } from '../login-throttle/login-throttle.js';
import { consentItems } from './consent-items.js';
import type { CsrfProtection } from './csrf.js';
import { renderErrorPage } from './error-page.js';
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
}

// the same words for every account: they say how the throttle works, never whether an account exists
const pausedLogin = ({ t }: Translator, seconds: number) =>
  seconds < 90 ? t('login.paused_seconds', { seconds }) : t('login.paused_minutes', { minutes: Math.ceil(seconds / 60) });
type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

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
    if (interaction.prompt.name === 'login') {
      renderPage(ctx, page, tr, 'login', tr.t('login.title'), {
        uid: interaction.uid,
        csrf: csrf.issue(ctx, interaction.uid),
        clientName,
        email: loginHint(interaction),
        error: undefined,
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
        { uid: interaction.uid, csrf: csrf.issue(ctx, interaction.uid), clientName: await clientNameOf(provider, interaction), email, error },
        paused ? 429 : 401,
      );
      return;
    }
    writeDeviceCookie(ctx, signIn.deviceToken, signIn.replacedDeviceToken, deps.throttle.knownDeviceDays);
    await finish(ctx, provider, { login: { accountId: signIn.user.id } });
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

async function details(ctx: Context, provider: Provider): Promise<Interaction> {
  const interaction = await provider.interactionDetails(ctx.req, ctx.res);
  if (interaction.uid !== ctx.params.uid) throw new errors.SessionNotFound('interaction mismatch');
  return interaction;
}

/** Saves the interaction's result and sends the browser back to the authorization endpoint (303, RFC 9700 §4.12). */
async function finish(ctx: Context, provider: Provider, result: InteractionResults): Promise<void> {
  // a consent must keep the login of the same interaction (else prompt=login would ask again); a login starts afresh
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: !result.login });
  ctx.status = 303;
  ctx.redirect(returnTo);
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

function requireCsrf(ctx: Context, csrf: CsrfProtection, uid: string, token: unknown): void {
  if (!csrf.verify(ctx, uid, token)) throw new errors.InvalidRequest('the form expired or did not come from this site; go back to the app and try again');
}

/** The parsed form; text Postgres cannot store (NUL, lone surrogates) is a bad request, shown as a 400 page. */
function formBody(ctx: Context): Record<string, unknown> {
  const body = (ctx.request as { body?: unknown }).body;
  const where = findUnstorableText(body, 'a form field');
  if (where) throw new errors.InvalidRequest(`${where} contains a character that is not allowed`);
  return body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
}

/** The permissions the app receives if the user allows: what it asks for, of what the user holds and the app may have. */
async function permissionsOnConsent(provider: Provider, interaction: Interaction, user: UserRow | undefined, roles: RolesConfig): Promise<string[]> {
  if (!user) return [];
  const client = await provider.Client.find(String(interaction.params.client_id));
  const known = new Set(allPermissions(roles));
  const asked = String(interaction.params.scope ?? '')
    .split(' ')
    .filter((scope) => known.has(scope));
  return tokenPermissions({ audience: 'third-party', held: permissionsOfRole(roles, user.role), clientAllows: registeredPermissions(client), asked });
}

async function clientNameOf(provider: Provider, interaction: Interaction): Promise<string | undefined> {
  const client = await provider.Client.find(String(interaction.params.client_id));
  return client?.clientName ?? undefined;
}

function loginHint(interaction: Interaction): string {
  const hint = interaction.params.login_hint;
  return typeof hint === 'string' && hint.length <= 254 ? hint : '';
}

function renderInteractionError(ctx: Context, page: PageContext, error: unknown, log: Logger): void {
  const name = (error as { name?: string }).name;
  if (name === 'SessionNotFound') {
    renderErrorPage(ctx, page, { code: 'session_not_found', detail: 'interaction session not found', status: 400 });
    return;
  }
  const status = (error as { status?: number }).status;
  if ((error as { expose?: boolean }).expose && status && status < 500) {
    const e = error as { error?: string; error_description?: string; message: string };
    renderErrorPage(ctx, page, { code: e.error ?? 'invalid_request', detail: e.error_description ?? e.message, status });
    return;
  }
  if (status === 503 || (error as { code?: string }).code === 'SERVER_BUSY' || isDatabaseUnavailable(error)) {
    renderErrorPage(ctx, page, { code: 'temporarily_unavailable', status: 503 });
    ctx.set('Retry-After', '5');
    return;
  }
  log.error({ err: error, path: ctx.path }, 'interaction failed');
  renderErrorPage(ctx, page, { code: 'server_error', status: 500 });
}
