import Router from '@koa/router';
import type { Context } from 'koa';
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import { authenticate as checkCredentials, changePassword, registerAccount, type AccountsContext, type UserRow } from '../accounts/accounts-service.js';
import { createApiKey, listApiKeys, publicApiKey, revokeApiKey } from '../apikeys/api-keys-service.js';
import type { Actor } from '../audit/actor.js';
import { isFirstParty } from '../clients/client-policy.js';
import type { RegisteredClient } from '../clients/client-policy.js';
import type { Config } from '../config/types.js';
import { AuthConnectError } from '../errors.js';
import { rateLimit } from '../http/rate-limit.js';
import type { RateLimiters } from '../http/rate-limiters.js';
import { withDeferredWrites } from '../db/deferred-writes.js';
import type { LoginThrottle } from '../login-throttle/login-throttle.js';
import { ACCOUNT_API_CLIENT_ID } from '../oidc/account-api-client.js';
import { callTokenEndpoint, type RequestHandler } from '../oidc/call-token-endpoint.js';
import { issueLoginTokens } from '../oidc/issue-login-tokens.js';
import { nextStepAfterFirstFactor, type NextStep } from '../mfa/mfa-sign-in.js';
import type { MfaContext } from '../mfa/second-factors-service.js';
import { permissionsOfRole } from '../rbac/roles.js';
import { authenticate, type AccessTokenVerifier, type AccessTokenClaims } from '@auth-connect/resource-server';
import { endSessions, listSessions, logout, publicSession } from '../sessions/sessions-service.js';
import { isClientId } from '../input/client-id.js';
import { idPath } from './description/id-path.js';
import { authBodies } from './description/auth-api.js';
import { jsonBody } from './json-body.js';
import { managementCaller, type ManagementState } from './management-access.js';
import { refuseUnstorableInput } from './storable-input.js';
import { guard } from './request-guard.js';
import { confirmEmail, resendVerification, sendVerificationLink } from '../email-links/email-verification.js';
import { requestPasswordReset, resetPassword } from '../email-links/password-reset.js';
import { requestEmailChange } from '../email-links/email-change.js';
import type { MailingContext } from '../email-links/mailing-context.js';
import { newDeviceNotice } from '../email-links/sign-in-notices.js';
import { noticeApiKeyCreated, noticePasswordChanged } from '../mail/security-notices.js';
import { fromAcceptLanguage, type Locale } from '../i18n/index.js';
import type { Logger } from '../logger.js';
import { afterAnswer } from '../http/after-answer.js';

export interface AuthRoutesDeps {
  db: Knex;
  config: Config;
  /** The provider in service now (it is replaced when signing keys change). */
  provider: () => Provider;
  providerHandler: RequestHandler;
  verifier: AccessTokenVerifier;
  /** The registered client a token was issued to (static or from the database). */
  findClient: (clientId: string) => Promise<RegisteredClient | undefined>;
  throttle: LoginThrottle;
  /** Counters of the per-address request limits (shared by every instance on Postgres). */
  rateLimiters: RateLimiters;
  /** Second factors: a login may need one (src/mfa/). */
  mfa: MfaContext;
  /** The outbox and the per-address budget of mailed links. */
  mailing: MailingContext;
  log: Logger;
}

const registerRequest = guard({ body: authBodies.register });
const loginRequest = guard({ body: authBodies.login });
const refreshRequest = guard({ body: authBodies.refresh });
const changePasswordRequest = guard({ body: authBodies.changePassword });
const newApiKeyRequest = guard({ body: authBodies.newApiKey });
const idRequest = guard({ params: idPath });
const emailOnlyRequest = guard({ body: authBodies.emailOnly });
const resetPasswordRequest = guard({ body: authBodies.resetPassword });
const emailTokenRequest = guard({ body: authBodies.emailToken });
const changeEmailRequest = guard({ body: authBodies.changeEmail });

/** The password was right; the login continues at /api/auth/mfa/* with the mfa_token. */
function secondStepNeeded(next: Exclude<NextStep, { step: 'done' }>, deviceToken: string): AuthConnectError {
  const error =
    next.step === 'verify'
      ? new AuthConnectError('MFA_REQUIRED', 'a second factor is needed: POST /api/auth/mfa/verify with mfa_token and a code')
      : new AuthConnectError('MFA_ENROLLMENT_REQUIRED', 'a second factor must be set up first: POST /api/auth/mfa/enrol/totp with mfa_token');
  error.details = { mfa_token: next.token, ...(next.step === 'verify' ? { methods: next.methods } : {}), device_token: deviceToken };
  return error;
}

const invalidCredentials = () => new AuthConnectError('INVALID_CREDENTIALS', 'invalid email or password');
const emailNotVerified = () => {
  const error = new AuthConnectError('EMAIL_NOT_VERIFIED', 'confirm your email address first with the link we mailed you');
  error.details = { resend: { method: 'POST', path: '/api/auth/verify-email/resend', body: { email: '…' } } };
  return error;
};
const ACCEPTED = 'if an account with this address exists, a mail is on its way';
const tooMany = (retryAfter: number) => ({ status: 429, body: { error: 'TOO_MANY_REQUESTS', message: `too many attempts; try again in ${retryAfter} s` } });
/** The login throttle's answer: the same for every account, before any password check. */
const paused = (ctx: Context, retryAfter: number) => {
  ctx.status = 429;
  ctx.set('Retry-After', String(retryAfter));
  ctx.body = { error: 'TOO_MANY_REQUESTS', message: `sign-in is paused after repeated failures; try again in ${retryAfter} s` };
};

/** What bearer + a caller check put on the request: the routes behind them serve users only, so `user` is there. */
type AccountState = Partial<ManagementState>;
const authed = (ctx: { state: AccountState }) => {
  const { auth, user, caller } = ctx.state;
  if (!auth || !user || !caller) throw new Error('account route mounted without bearer and a user check in front');
  return { auth, user, caller };
};
/** The login session a user token belongs to (tokens made from API keys have none). */
const sessionOf = (auth: AccessTokenClaims) => (typeof auth.payload.session_id === 'string' ? auth.payload.session_id : undefined);
const self = (user: UserRow): Actor => ({ kind: 'user', userId: user.id });

/** The account API of the original system, /api/auth/*, on top of the OIDC core. */
export function authRoutes(deps: AuthRoutesDeps): Router {
  const { db, config } = deps;
  const accounts: AccountsContext = { db, config, onNewDeviceSignIn: newDeviceNotice(deps.mailing) };
  const sessions = { db, config };
  const router = new Router<AccountState>({ prefix: '/api/auth' });
  const bearer = authenticate(deps.verifier, { realm: config.runtime.issuer });
  // self-service takes user tokens of first-party apps; reading one's account also takes API-key tokens
  const access = { db, roles: config.roles, findClient: deps.findClient };
  const currentUser = managementCaller(access);
  const accountReader = managementCaller(access, { apiKeys: true });
  /** A user's own account, as registration and /me answer it. */
  const account = (user: UserRow) => ({
    id: user.id,
    email: user.email,
    email_verified: user.email_verified,
    role: user.role,
    permissions: permissionsOfRole(config.roles, user.role),
    created_at: user.created_at.toISOString(),
  });
  const audit = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.get('user-agent') || null });
  const mailing = deps.mailing;
  // mails asked for through the API are written in the caller's language, as far as Accept-Language says
  const localeOf = (ctx: Context): Locale =>
    fromAcceptLanguage(ctx.get('accept-language'), config.auth.pages.default_locale) ?? config.auth.pages.default_locale;
  const mailLimit = (name: string) => rateLimit(deps.rateLimiters.perMinute(name, config.auth.rate_limit.password_reset_per_minute), tooMany);

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  router.use(jsonBody());
  router.use(refuseUnstorableInput());

  router.post('/register', rateLimit(deps.rateLimiters.perMinute('api_register', config.auth.rate_limit.register_per_minute), tooMany), async (ctx) => {
    if (!config.auth.registration.enabled) throw new AuthConnectError('REGISTRATION_DISABLED', 'self-registration is switched off');
    const { body } = registerRequest(ctx);
    const locale = localeOf(ctx);
    const user = await registerAccount(accounts, { email: body.email, password: body.password }, audit(ctx), (trx, created) =>
      sendVerificationLink({ ...mailing, db: trx }, created, locale),
    );
    ctx.status = 201;
    ctx.body = account(user);
  });

  router.post('/login', rateLimit(deps.rateLimiters.perMinute('api_login', config.auth.rate_limit.login_per_minute), tooMany), async (ctx) => {
    // the login's writes (last login, throttle refund, audit, grant, session, refresh token) go in one statement at its end
    await withDeferredWrites(db, async () => {
      const { body } = loginRequest(ctx);
      const clientId = body.client_id ?? ACCOUNT_API_CLIENT_ID;
      const provider = deps.provider();
      await assertPasswordLoginClient(provider, clientId);
      const source = { address: ctx.ip, deviceTokens: body.device_token ? [body.device_token] : [] };
      const signIn = await checkCredentials(accounts, deps.throttle, body, source, { via: 'api', clientId, userAgent: audit(ctx).userAgent });
      if (signIn.outcome === 'unverified') throw emailNotVerified();
      if (signIn.outcome !== 'signed_in') {
        if (signIn.outcome === 'paused') return paused(ctx, signIn.retryAfterSeconds);
        throw invalidCredentials();
      }
      const { user, secondFactors } = signIn;
      // device_token: sent back on the next login, it marks this client as one that signed in before (SECURITY.md)
      const next = await nextStepAfterFirstFactor(deps.mfa, user, { amr: ['pwd'], clientId, clientAsksForMfa: false, secondFactors });
      if (next.step !== 'done') throw secondStepNeeded(next, signIn.deviceToken);
      ctx.body = { ...(await issueLoginTokens(provider, { db, config }, { user, clientId, ...audit(ctx), amr: next.amr })), device_token: signIn.deviceToken };
    });
  });

  router.post('/refresh', async (ctx) => {
    const { body } = refreshRequest(ctx);
    const { status, body: answer } = await callTokenEndpoint(
      deps.providerHandler,
      { grant_type: 'refresh_token', refresh_token: body.refresh_token, client_id: body.client_id ?? ACCOUNT_API_CLIENT_ID },
      ctx.get('user-agent'),
    );
    if (status === 200) {
      ctx.body = { access_token: answer.access_token, refresh_token: answer.refresh_token, token_type: 'Bearer', expires_in: answer.expires_in };
      return;
    }
    if (status === 503) throw new AuthConnectError('SERVICE_UNAVAILABLE', 'the service is temporarily unavailable; try again shortly');
    if (answer.error === 'invalid_grant' || answer.error === 'invalid_client') {
      throw new AuthConnectError('INVALID_TOKEN', 'the refresh token is invalid, expired, revoked or already used');
    }
    throw new AuthConnectError('INVALID_REQUEST', String(answer.error_description ?? answer.error ?? 'refresh failed'));
  });

  router.post('/logout', bearer, currentUser, async (ctx) => {
    const { auth, user } = authed(ctx);
    const sessionId = sessionOf(auth);
    if (!sessionId) throw new AuthConnectError('INVALID_REQUEST', 'this token does not belong to a login session');
    await logout(sessions, { userId: user.id, sessionId, clientId: auth.clientId }, audit(ctx));
    ctx.body = { message: 'logged out' };
  });

  router.get('/me', bearer, accountReader, (ctx) => {
    const { user } = authed(ctx);
    ctx.body = account(user);
  });

  router.put('/change-password', bearer, currentUser, async (ctx) => {
    const { auth, user } = authed(ctx);
    const { body } = changePasswordRequest(ctx);
    const passwords = { current: body.current_password, next: body.new_password };
    const locale = localeOf(ctx);
    const changed = await changePassword(accounts, deps.throttle, user, passwords, { address: ctx.ip, sessionId: sessionOf(auth) }, audit(ctx), (trx, done) =>
      noticePasswordChanged(mailing.outbox, trx, done, done.password_changed_at ?? new Date(), locale),
    );
    if (changed.outcome === 'paused') return paused(ctx, changed.retryAfterSeconds);
    if (changed.outcome !== 'changed') throw new AuthConnectError('INVALID_CREDENTIALS', 'the current password is not correct');
    ctx.body = { message: 'password changed', sessions_ended: changed.sessionsEnded };
  });

  router.get('/sessions', bearer, currentUser, async (ctx) => {
    const { auth, user } = authed(ctx);
    ctx.body = { sessions: (await listSessions(sessions, user.id)).map((s) => publicSession(s, sessionOf(auth))) };
  });

  router.delete('/sessions/:id', bearer, currentUser, async (ctx) => {
    const { user } = authed(ctx);
    const ended = await endSessions(sessions, { kind: 'one', userId: user.id, sessionId: idRequest(ctx).params.id }, 'ended_by_user', self(user));
    if (!ended.length) throw new AuthConnectError('SESSION_NOT_FOUND', 'no such active session');
    ctx.status = 204;
  });

  router.post('/api-keys', bearer, currentUser, async (ctx) => {
    const { user, caller } = authed(ctx);
    const { body } = newApiKeyRequest(ctx);
    const locale = localeOf(ctx);
    const { key, row } = await createApiKey(
      { db, config },
      caller,
      user,
      { name: body.name, permissions: body.permissions, expiresInDays: body.expires_in_days },
      (trx, created) => noticeApiKeyCreated(mailing.outbox, trx, user, publicApiKey(created), locale),
    );
    ctx.status = 201;
    ctx.body = { ...publicApiKey(row), key };
  });

  router.get('/api-keys', bearer, currentUser, async (ctx) => {
    ctx.body = { api_keys: (await listApiKeys(db, authed(ctx).user.id)).map(publicApiKey) };
  });

  router.delete('/api-keys/:id', bearer, currentUser, async (ctx) => {
    const { user } = authed(ctx);
    await revokeApiKey(db, idRequest(ctx).params.id, self(user), user.id);
    ctx.status = 204;
  });

  router.post('/forgot-password', mailLimit('api_forgot_password'), async (ctx) => {
    const { body } = emailOnlyRequest(ctx);
    // answered before any work on the address, so neither the answer nor its timing says whether an account has it
    const [locale, origin] = [localeOf(ctx), audit(ctx)];
    afterAnswer(deps.log, 'a password reset request', () => requestPasswordReset(mailing, body.email, locale, origin));
    ctx.status = 202;
    ctx.body = { message: ACCEPTED };
  });

  router.post('/reset-password', mailLimit('api_reset_password'), async (ctx) => {
    const { body } = resetPasswordRequest(ctx);
    const { sessionsEnded } = await resetPassword(mailing, { token: body.token, password: body.new_password }, audit(ctx), localeOf(ctx));
    ctx.body = { message: 'password changed; sign in with the new password', sessions_ended: sessionsEnded };
  });

  router.post('/verify-email', mailLimit('api_verify_email'), async (ctx) => {
    const { body } = emailTokenRequest(ctx);
    const confirmed = await confirmEmail(mailing, body.token, audit(ctx), localeOf(ctx));
    ctx.body = {
      message: confirmed.outcome === 'changed' ? 'the new address is confirmed and now signs in' : 'the address is confirmed',
      email: confirmed.email,
    };
  });

  router.post('/verify-email/resend', mailLimit('api_resend_verification'), async (ctx) => {
    const { body } = emailOnlyRequest(ctx);
    const locale = localeOf(ctx);
    afterAnswer(deps.log, 'a verification resend', () => resendVerification(mailing, body.email, locale));
    ctx.status = 202;
    ctx.body = { message: ACCEPTED };
  });

  router.post('/change-email', bearer, currentUser, async (ctx) => {
    const { user } = authed(ctx);
    const { body } = changeEmailRequest(ctx);
    const input = { newEmail: body.new_email, password: body.password };
    const asked = await requestEmailChange(mailing, deps.throttle, user, input, { address: ctx.ip }, audit(ctx), localeOf(ctx));
    if (asked.outcome === 'paused') return paused(ctx, asked.retryAfterSeconds);
    if (asked.outcome !== 'sent') throw new AuthConnectError('INVALID_CREDENTIALS', 'the password is not correct');
    ctx.status = 202;
    ctx.body = { message: `a confirmation link was mailed to ${asked.email}; the address changes when it is used` };
  });

  return router;
}

/** RFC 9700 §2.4: password login only for first-party clients, and only public ones (no secret to hold back). */
async function assertPasswordLoginClient(provider: Provider, clientId: string): Promise<void> {
  const client = isClientId(clientId) ? await provider.Client.find(clientId) : undefined;
  if (!client) throw new AuthConnectError('INVALID_REQUEST', `unknown client_id ${clientId}`);
  if (!isFirstParty(client) || client.clientAuthMethod !== 'none' || !client.grantTypeAllowed('refresh_token')) {
    throw new AuthConnectError('UNAUTHORIZED_CLIENT', 'password login is only for first-party public clients; use the authorization code flow');
  }
}
