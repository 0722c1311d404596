import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256:';

/** 256 random bits, base64url: the secret a client is shown once. */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Client secrets are 256-bit random values, so a single SHA-256 is a sufficient one-way store (OWASP ASVS
 * 6.5.2: high-entropy secrets need no slow hash) and keeps client authentication off argon2's queue.
 */
export function hashClientSecret(secret: string): string {
  return PREFIX + createHash('sha256').update(secret, 'utf8').digest('base64url');
}

export function clientSecretMatches(storedHash: string | undefined, presented: string): boolean {
  if (!storedHash?.startsWith(PREFIX)) return false;
  const expected = Buffer.from(storedHash.slice(PREFIX.length), 'base64url');
  const actual = createHash('sha256').update(presented, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
