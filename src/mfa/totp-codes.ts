import { generateSecret, generateURI, verify } from 'otplib';

const PERIOD_SECONDS = 30;
const CODE = /^\d{6}$/;

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The otpauth:// URI an authenticator app reads from the QR code. */
export function totpUri(secret: string, issuer: string, accountName: string): string {
  return generateURI({ issuer, label: accountName, secret, period: PERIOD_SECONDS, digits: 6, algorithm: 'sha1' });
}

/** Six digits, with the spaces people type between groups removed; undefined for anything else. */
export function normaliseTotpCode(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.length > 32) return undefined;
  const code = input.replace(/[\s-]/g, '');
  return CODE.test(code) ? code : undefined;
}

/**
 * The RFC 6238 time step a code belongs to, accepting the step before and after now (±30 s of clock drift),
 * or undefined. Whether the step was used already is the caller's question (totp-repository.acceptTotpStep).
 */
export async function totpStepOf(secret: string, code: string, nowSeconds = Math.floor(Date.now() / 1000)): Promise<number | undefined> {
  const result = await verify({ secret, token: code, epoch: nowSeconds, epochTolerance: PERIOD_SECONDS, period: PERIOD_SECONDS });
  return result.valid ? (result as { timeStep: number }).timeStep : undefined;
}
