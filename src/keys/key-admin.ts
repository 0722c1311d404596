import type { AuthConfig, SigningAlgorithm } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { requiredAlgorithms } from './generate-signing-key.js';
import { keySetPath, readKeySet, writeKeySet, type PrivateKeySet, type SigningJwk } from './key-set-file.js';
import { keyView, rotateKeySet } from './key-schedule.js';

/** Rotates the key file in KEYS_DIR (CLI and admin API); servers watching it follow. */
export async function rotateKeyFile(keysDir: string, auth: AuthConfig): Promise<{ set: PrivateKeySet; added: SigningJwk[] }> {
  const current = readKeySet(keysDir);
  if (!current) throw new ConfigError(`no keys in ${keySetPath(keysDir)}; create them with auth-connect keys generate`);
  const rotated = await rotateKeySet(current, requiredAlgorithms(auth.jwt.algorithm), auth);
  writeKeySet(keysDir, rotated.set);
  return rotated;
}

/** Public facts about each key: never key material. */
export function describeKeys(set: PrivateKeySet, configured: SigningAlgorithm, now = Date.now()) {
  const view = keyView(set, configured, now);
  return set.keys.map((key) => ({
    kid: key.kid,
    alg: key.alg,
    kty: key.kty,
    status: view.status.get(key.kid) ?? 'retired',
    created_at: set.rotation?.[key.kid]?.created_at ?? null,
    sign_from: set.rotation?.[key.kid]?.sign_from ?? null,
    retire_at: set.rotation?.[key.kid]?.retire_at ?? null,
  }));
}
