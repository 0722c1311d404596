import Router from '@koa/router';
import type { Context } from 'koa';
import { authenticate, type AccessTokenClaims } from '@auth-connect/resource-server';
import { AuthConnectError } from '../errors.js';
import { rateLimit } from '../http/rate-limit.js';
import { mfaRequiredFor } from '../mfa/mfa-policy.js';
import { completeWithCode, completeWithEnrolment, waitingSignIn, type WaitingSignIn } from '../mfa/mfa-sign-in.js';
import {
  confirmTotpEnrolment,
  currentTotpEnrolment,
  hasSecondFactor,
  regenerateRecoveryCodes,
  removeTotp,
  secondFactorsOf,
  type MfaContext,
  type TotpEnrolment,
} from '../mfa/second-factors-service.js';
import { noSecondFactor } from '../mfa/mfa-errors.js';
import { ACCOUNT_API_CLIENT_ID } from '../oidc/account-api-client.js';
import { issueLoginTokens } from '../oidc/issue-login-tokens.js';
import type { AuthRoutesDeps } from './auth-routes.js';
import { authBodies } from './description/auth-api.js';
import { jsonBody } from './json-body.js';
import { managementCaller, type ManagementState } from './management-access.js';
import { guard } from './request-guard.js';
import { refuseUnstorableInput } from './storable-input.js';

export interface MfaRoutesDeps extends AuthRoutesDeps {
  mfa: MfaContext;
}

const verifyRequest = guard({ body: authBodies.mfaVerify });
const mfaTokenRequest = guard({ body: authBodies.mfaToken });
const enrolConfirmRequest = guard({ body: authBodies.mfaEnrolConfirm });
const codeRequest = guard({ body: authBodies.code });

const invalidMfaToken = () => new AuthConnectError('INVALID_MFA_TOKEN', 'the mfa_token is unknown, expired or already used; log in again');
const tooMany = (retryAfter: number) => ({ status: 429, body: { error: 'TOO_MANY_REQUESTS', message: `too many attempts; try again in ${retryAfter} s` } });
const enrolmentAnswer = (e: TotpEnrolment) => ({ secret: e.secret, otpauth_uri: e.otpauthUri, qr_code: e.qrCode });

/**
 * /api/auth/mfa/*: the second step of the JSON login (a code with the mfa_token that login answered, or
 * setting up an authenticator app when the policy demands one), and the caller's own second factors.
 * Passkeys are managed on /account (they need a browser); the rules live in src/mfa/.
 */
export function mfaRoutes(deps: MfaRoutesDeps): Router {
  const { db, config, mfa } = deps;
  const router = new Router<Partial<ManagementState>>({ prefix: '/api/auth/mfa' });
  const bearer = authenticate(deps.verifier, { realm: config.runtime.issuer });
  const currentUser = managementCaller({ db, roles: config.roles, findClient: deps.findClient });
  const origin = (ctx: Context) => ({ via: 'account_api', ip: ctx.ip, userAgent: ctx.get('user-agent') || null }) as const;
  const caller = (ctx: { state: Partial<ManagementState> }) => {
    const { auth, user } = ctx.state;
    if (!auth || !user) throw new Error('mfa route mounted without bearer and a user check in front');
    return { auth, user };
  };
  /** Changing factors that exist takes a token from a sign-in that used one: a stolen password-only token cannot remove or add them. */
  const assertSignedInWithSecondFactor = (auth: AccessTokenClaims) => {
    const amr = auth.payload.amr;
    if (!Array.isArray(amr) || !amr.includes('mfa')) {
      throw new AuthConnectError('INSUFFICIENT_PERMISSIONS', 'sign in with your second factor to change your second factors');
    }
  };
  const pending = async (token: string): Promise<WaitingSignIn> => {
    const login = await waitingSignIn(mfa, token);
    if (!login) throw invalidMfaToken();
    return login;
  };
  const tokensFor = (ctx: Context, login: { user: WaitingSignIn['user']; clientId: string | null; amr: string[] }) =>
    issueLoginTokens(
      deps.provider(),
      { db, config },
      { user: login.user, clientId: login.clientId ?? ACCOUNT_API_CLIENT_ID, ip: ctx.ip, userAgent: ctx.get('user-agent') || null, amr: login.amr },
    );

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  router.use(jsonBody());
  router.use(refuseUnstorableInput());

  router.post('/verify', rateLimit(deps.rateLimiters.perMinute('api_login', config.auth.rate_limit.login_per_minute), tooMany), async (ctx) => {
    const { body } = verifyRequest(ctx);
    const login = await pending(body.mfa_token);
    const source = { address: ctx.ip, deviceTokens: body.device_token ? [body.device_token] : [] };
    const done = await completeWithCode(mfa, deps.throttle, login, body.code, source, origin(ctx));
    if (done.outcome === 'expired') throw invalidMfaToken();
    if (done.outcome === 'paused') {
      ctx.status = 429;
      ctx.set('Retry-After', String(done.retryAfterSeconds));
      ctx.body = { error: 'TOO_MANY_REQUESTS', message: `sign-in is paused after repeated failures; try again in ${done.retryAfterSeconds} s` };
      return;
    }
    if (done.outcome === 'failed') throw new AuthConnectError('INVALID_MFA_CODE', 'the code is wrong, expired or was used already');
    ctx.body = { ...(await tokensFor(ctx, done)), device_token: done.deviceToken };
  });

  router.post('/enrol/totp', async (ctx) => {
    const login = await pending(mfaTokenRequest(ctx).body.mfa_token);
    ctx.body = enrolmentAnswer(await currentTotpEnrolment(mfa, login.user));
  });

  router.post('/enrol/totp/confirm', async (ctx) => {
    const { body } = enrolConfirmRequest(ctx);
    const done = await completeWithEnrolment(mfa, await pending(body.mfa_token), body.code, origin(ctx));
    if (done.outcome === 'expired') throw invalidMfaToken();
    ctx.body = { ...(await tokensFor(ctx, done)), recovery_codes: done.recoveryCodes };
  });

  router.get('/', bearer, currentUser, async (ctx) => {
    const { user } = caller(ctx);
    const factors = await secondFactorsOf(mfa, user.id);
    ctx.body = {
      totp: factors.totp,
      passkeys: factors.passkeys,
      recovery_codes_left: factors.recoveryCodesLeft,
      required: mfaRequiredFor(config.auth, user.role),
    };
  });

  router.post('/totp', bearer, currentUser, async (ctx) => {
    const { auth, user } = caller(ctx);
    // adding a factor to an account that has one takes that one first: an older password-only token cannot plant its own
    if (hasSecondFactor(await secondFactorsOf(mfa, user.id))) assertSignedInWithSecondFactor(auth);
    ctx.body = enrolmentAnswer(await currentTotpEnrolment(mfa, user));
  });

  router.post('/totp/confirm', bearer, currentUser, async (ctx) => {
    const { user } = caller(ctx);
    const { recoveryCodes } = await confirmTotpEnrolment(mfa, user, codeRequest(ctx).body.code, origin(ctx));
    ctx.body = { recovery_codes: recoveryCodes ?? [] };
  });

  router.delete('/totp', bearer, currentUser, async (ctx) => {
    const { auth, user } = caller(ctx);
    assertSignedInWithSecondFactor(auth);
    if (!(await removeTotp(mfa, user, origin(ctx)))) throw noSecondFactor();
    ctx.status = 204;
  });

  router.post('/recovery-codes', bearer, currentUser, async (ctx) => {
    const { auth, user } = caller(ctx);
    if (!hasSecondFactor(await secondFactorsOf(mfa, user.id))) throw noSecondFactor();
    assertSignedInWithSecondFactor(auth);
    ctx.body = { recovery_codes: await regenerateRecoveryCodes(mfa, user, origin(ctx)) };
  });

  return router;
}
