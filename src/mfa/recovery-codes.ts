import { createHash, randomBytes } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
// Crockford-style base32 without look-alikes: 16 characters carry 80 random bits, far beyond an offline
// guess of a SHA-256 hash, so a plain hash is enough (argon2 for ten codes a sign-in would cost seconds)
const ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ0123456789';

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(16);
    const chars = [...bytes].map((b) => ALPHABET[b & 31]).join('');
    return chars.match(/.{4}/g)!.join('-');
  });
}

/** A recovery code as typed (any case, with or without dashes and spaces), or undefined when it cannot be one. */
export function normaliseRecoveryCode(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.length > 64) return undefined;
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  return /^[A-Z0-9]{16}$/.test(code) ? code : undefined;
}

export function hashRecoveryCode(normalised: string): string {
  return createHash('sha256').update(`auth-connect recovery code|${normalised}`).digest('hex');
}
