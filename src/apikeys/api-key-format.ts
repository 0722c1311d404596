import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const FORMAT = /^ack_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** A new key: `ack_<16 hex prefix>_<256-bit secret, base64url>`; the prefix finds it, the hash checks it. */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = randomBytes(8).toString('hex');
  const key = `ack_${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64url');
}

/** The prefix of a well-formed key, or undefined. */
export function apiKeyPrefix(key: unknown): string | undefined {
  return typeof key === 'string' ? FORMAT.exec(key)?.[1] : undefined;
}

export function apiKeyMatches(storedHash: string, key: string): boolean {
  const expected = Buffer.from(storedHash, 'base64url');
  const actual = Buffer.from(hashApiKey(key), 'base64url');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
