import type { AuthConfig } from '../config/types.js';

/** The `acr` of a sign-in with two factors (or a passkey with user verification); clients ask for it in acr_values. */
export const ACR_MFA = 'urn:auth-connect:acr:mfa';
/** The `acr` of a sign-in with a password alone. */
export const ACR_PASSWORD = 'urn:auth-connect:acr:pwd';

/** What a second factor, as the user answered it, adds to the password's `pwd` (RFC 8176 names). */
export type SecondFactorMethod = 'totp' | 'recovery_code' | 'passkey';

/** Whether the policy (auth_config.json `mfa`) demands a second factor of a user with this role. */
export function mfaRequiredFor(config: Pick<AuthConfig, 'mfa'>, role: string): boolean {
  return config.mfa.required_for_all || config.mfa.required_for_roles.includes(role);
}

/** The `acr` that a sign-in with these methods reached. */
export function acrOf(amr: readonly string[]): string {
  return amr.includes('mfa') ? ACR_MFA : ACR_PASSWORD;
}

/** Whether a request's acr_values (space-separated, in order of preference) ask for a second factor. */
export function asksForMfa(acrValues: unknown): boolean {
  return typeof acrValues === 'string' && acrValues.split(' ').includes(ACR_MFA);
}

/** The `amr` of a password sign-in completed with a second factor. */
export function amrWithSecondFactor(first: readonly string[], method: SecondFactorMethod, passkey?: { backedUp: boolean }): string[] {
  const added = method === 'passkey' ? [passkey?.backedUp ? 'swk' : 'hwk', 'user'] : ['otp'];
  return [...new Set([...first, ...added, 'mfa'])];
}
