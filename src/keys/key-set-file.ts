import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { JWK } from 'jose';
import { ConfigError } from '../errors.js';

export type SigningJwk = JWK & { kid: string; alg: string; use: 'sig' };

/** When a key signs and leaves, in ISO time; a key without an entry signs from its creation and never retires. */
export interface KeyTimes {
  created_at: string;
  sign_from?: string;
  retire_at?: string;
}

export interface PrivateKeySet {
  keys: SigningJwk[];
  rotation?: Record<string, KeyTimes>;
}

export const keySetPath = (keysDir: string) => path.join(keysDir, 'jwks.json');

/**
 * The private key set in KEYS_DIR, or undefined when there is none: where keys lived before the database,
 * read only to import them once (src/keys/signing-keys-service.ts).
 */
export function readKeySet(keysDir: string): PrivateKeySet | undefined {
  const file = keySetPath(keysDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code}); check KEYS_DIR and the file's permissions`);
  }
  let set: PrivateKeySet;
  try {
    set = JSON.parse(text) as PrivateKeySet;
  } catch (error) {
    throw new ConfigError(`${file}: not valid JSON (${(error as Error).message}); restore it or create new keys with auth-connect keys generate --force`);
  }
  if (!Array.isArray(set?.keys) || set.keys.length === 0) throw new ConfigError(`${file}: expected {"keys": [...]} with at least one key`);
  set.keys.forEach((key, i) => {
    if (!key.kid || !key.alg || key.use !== 'sig') throw new ConfigError(`${file}: keys[${i}] needs "kid", "alg" and "use": "sig"`);
    if (!key.d) throw new ConfigError(`${file}: keys[${i}] (kid ${key.kid}) is a public key; the server needs the private key to sign`);
  });
  return set;
}
