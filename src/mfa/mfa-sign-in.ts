import type { UserRow } from '../accounts/accounts-service.js';
import { findUser } from '../accounts/accounts-service.js';
import type { ChangeOrigin } from '../audit/actor.js';
import type { LoginSource, LoginThrottle } from '../login-throttle/login-throttle.js';
import { acrOf, amrWithSecondFactor, mfaRequiredFor, type SecondFactorMethod } from './mfa-policy.js';
import { completePendingLogin, pendingLogin, startPendingLogin, type PendingLogin } from './pending-logins.js';
import {
  confirmTotpEnrolment,
  hasSecondFactor,
  methodsOf,
  secondFactorsOf,
  verifySecondFactorCode,
  type MfaContext,
  type SecondFactors,
} from './second-factors-service.js';

/** What a sign-in needs after its first factor. */
export type NextStep =
  | { step: 'done'; amr: string[]; acr: string }
  /** the second factor: `token` names the pending sign-in (the JSON API's mfa_token) */
  | { step: 'verify'; token: string; methods: SecondFactorMethod[] }
  /** a second factor must be set up first (the policy or the client demands one and the user has none) */
  | { step: 'enrol'; token: string };

/**
 * The rule after a first factor, one for the pages and the JSON API: a user with a second factor is always
 * asked for it; a user without one must set one up when the policy (`mfa`) or the client (`acr_values`)
 * demands it; everyone else is signed in. The first factor's success waits server-side (pending-logins.ts).
 */
export async function nextStepAfterFirstFactor(
  ctx: MfaContext,
  user: UserRow,
  login: { amr: string[]; clientId: string | null; clientAsksForMfa: boolean; secondFactors?: SecondFactors },
): Promise<NextStep> {
  // a password sign-in read them with the account (accounts-service.ts authenticate)
  const factors = login.secondFactors ?? (await secondFactorsOf(ctx, user.id));
  const demanded = mfaRequiredFor(ctx.config.auth, user.role) || login.clientAsksForMfa;
  if (!hasSecondFactor(factors) && !demanded) return { step: 'done', amr: login.amr, acr: acrOf(login.amr) };
  const token = await startPendingLogin(ctx.db, { userId: user.id, clientId: login.clientId, amr: login.amr });
  return hasSecondFactor(factors) ? { step: 'verify', token, methods: methodsOf(factors) } : { step: 'enrol', token };
}

export interface WaitingSignIn extends PendingLogin {
  token: string;
  user: UserRow;
}

/** The pending sign-in a token names, with its (still active) user; undefined when expired, used or unknown. */
export async function waitingSignIn(ctx: MfaContext, token: unknown): Promise<WaitingSignIn | undefined> {
  const login = await pendingLogin(ctx.db, token);
  const user = login ? await findUser(ctx, login.userId) : undefined;
  return login && user?.is_active ? { ...login, token: token as string, user } : undefined;
}

export type SecondStep =
  | { outcome: 'signed_in'; user: UserRow; amr: string[]; acr: string; clientId: string | null; deviceToken: string; replacedDeviceToken?: string }
  | { outcome: 'failed' }
  | { outcome: 'paused'; retryAfterSeconds: number }
  | { outcome: 'expired' };

/**
 * The second step with a typed code (authenticator or recovery), through the same throttle as passwords,
 * keyed by the same account: guessing codes spends the budget guessing passwords would. Completing the
 * pending sign-in is what makes it single-use: of two requests racing with it, one signs in.
 */
export async function completeWithCode(
  ctx: MfaContext,
  throttle: LoginThrottle,
  login: WaitingSignIn,
  code: unknown,
  source: LoginSource,
  origin: ChangeOrigin,
): Promise<SecondStep> {
  const checked = await throttle.check(login.user.email, source, () => verifySecondFactorCode(ctx, login.user, code, origin));
  if (checked.outcome !== 'passed') return checked;
  if (!(await completePendingLogin(ctx.db, login.token))) return { outcome: 'expired' };
  const amr = amrWithSecondFactor(login.amr, checked.value);
  return {
    outcome: 'signed_in',
    user: login.user,
    amr,
    acr: acrOf(amr),
    clientId: login.clientId,
    deviceToken: checked.deviceToken,
    replacedDeviceToken: checked.replacedDeviceToken,
  };
}

/** Ends a pending sign-in whose second factor passed another way (a passkey); false when it had ended already. */
export function completeSignIn(ctx: MfaContext, login: WaitingSignIn): Promise<boolean> {
  return completePendingLogin(ctx.db, login.token);
}

export type Enrolled =
  | { outcome: 'signed_in'; user: UserRow; amr: string[]; acr: string; clientId: string | null; recoveryCodes: string[] }
  | { outcome: 'expired' };

/** The set-up step of a sign-in: the authenticator app confirmed by a code (INVALID_MFA_CODE otherwise) completes the sign-in. */
export async function completeWithEnrolment(ctx: MfaContext, login: WaitingSignIn, code: unknown, origin: ChangeOrigin): Promise<Enrolled> {
  const { recoveryCodes } = await confirmTotpEnrolment(ctx, login.user, code, origin);
  if (!(await completePendingLogin(ctx.db, login.token))) return { outcome: 'expired' };
  const amr = amrWithSecondFactor(login.amr, 'totp');
  return { outcome: 'signed_in', user: login.user, amr, acr: acrOf(amr), clientId: login.clientId, recoveryCodes: recoveryCodes ?? [] };
}
