import { createHash, hkdfSync } from 'node:crypto';
import type { JWK } from 'jose';
import { ConfigError } from '../errors.js';
import { openSealedText, sealText } from '../util/sealed-text.js';
import type { RuntimeSettings } from '../config/types.js';

/** The key that seals the private signing keys in the database, with where it came from (for messages). */
export interface KeyEncryptionKey {
  key: Buffer;
  /** A short fingerprint stored beside each sealed key: names a mismatch without trying to decrypt. */
  id: string;
  source: string;
}

const KEY_BYTES = 32;

/** KEYS_ENCRYPTION_KEY: 32 random bytes, base64 or base64url (openssl rand -base64 32). Checked when the configuration is read. */
export function parseKeysEncryptionKey(value: string): Buffer {
  const trimmed = value.trim();
  const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (bytes.length !== KEY_BYTES) {
    throw new ConfigError(
      `KEYS_ENCRYPTION_KEY: must be ${KEY_BYTES} random bytes in base64 or base64url (for example: openssl rand -base64 32); got ${bytes.length ? `${bytes.length} bytes` : 'something else'}`,
    );
  }
  return bytes;
}

/**
 * KEYS_ENCRYPTION_KEY when set; otherwise derived with HKDF-SHA256 from the server secret (JWT_SECRET, or
 * outside production the secret generated in DATA_DIR), so a deployment that already shares JWT_SECRET
 * between its instances needs nothing more. Setting KEYS_ENCRYPTION_KEY separates the two: JWT_SECRET
 * can then change without re-sealing the keys.
 */
export function resolveKeyEncryptionKey(runtime: RuntimeSettings, serverSecret: () => string): KeyEncryptionKey {
  if (runtime.keysEncryptionKey) return withId(parseKeysEncryptionKey(runtime.keysEncryptionKey), 'KEYS_ENCRYPTION_KEY');
  const derived = Buffer.from(hkdfSync('sha256', serverSecret(), 'auth-connect', 'signing-key-encryption/v1', KEY_BYTES));
  return withId(derived, runtime.jwtSecret ? 'a key derived from JWT_SECRET' : `a key derived from the server secret in ${runtime.dataDir}`);
}

function withId(key: Buffer, source: string): KeyEncryptionKey {
  // a hash of a 256-bit key tells nothing about it; the prefix keeps it from matching any other hash of the key
  const id = createHash('sha256').update('auth-connect key-encryption-key id').update(key).digest('base64url').slice(0, 16);
  return { key, id, source };
}

/** The private JWK sealed for storage; `kid` is bound as additional data, so a sealed key moved to another row does not open. */
export function sealPrivateJwk(kek: KeyEncryptionKey, kid: string, jwk: JWK): string {
  return sealText(kek.key, kid, JSON.stringify(jwk));
}

/** A sealed key that this key-encryption key cannot open: another key sealed it, or it was altered. */
export class KeyDecryptionError extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = 'KeyDecryptionError';
  }
}

export function openPrivateJwk(kek: KeyEncryptionKey, kid: string, sealed: string, sealedWith: string): JWK {
  if (sealedWith !== kek.id) {
    throw new KeyDecryptionError(
      `the signing keys in the database were encrypted with another key-encryption key than this server's (${kek.source}); give every instance and the CLI the same KEYS_ENCRYPTION_KEY, or the same JWT_SECRET when it is unset`,
    );
  }
  const opened = openSealedText(kek.key, kid, sealed);
  if (opened === undefined) {
    throw new KeyDecryptionError(
      `the signing key ${kid} in the database cannot be decrypted with ${kek.source}: it was altered or damaged; rotate or generate new keys`,
    );
  }
  return JSON.parse(opened) as JWK;
}
