import { hkdfSync } from 'node:crypto';
import type { KeyEncryptionKey } from '../keys/key-encryption.js';
import { openSealedText, sealText } from '../util/sealed-text.js';

/**
 * The key that seals TOTP secrets: derived with HKDF-SHA256 from the key-encryption key of the signing keys
 * (KEYS_ENCRYPTION_KEY, or the key derived from JWT_SECRET), with its own label, so one secret in the
 * environment protects both and neither key can open the other's rows.
 */
export function totpSealingKey(kek: Pick<KeyEncryptionKey, 'key'>): Buffer {
  return Buffer.from(hkdfSync('sha256', kek.key, 'auth-connect', 'totp-secret-encryption/v1', 32));
}

/** The user id is bound as associated data: a sealed secret copied to another user's row does not open. */
export function sealTotpSecret(key: Buffer, userId: string, secret: string): string {
  return sealText(key, `totp|${userId}`, secret);
}

export function openTotpSecret(key: Buffer, userId: string, sealed: string): string | undefined {
  return openSealedText(key, `totp|${userId}`, sealed);
}
