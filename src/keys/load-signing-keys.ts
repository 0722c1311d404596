import { ConfigError } from '../errors.js';
import type { RuntimeSettings, SigningAlgorithm } from '../config/types.js';
import { generateSigningKey, requiredAlgorithms } from './generate-signing-key.js';
import { isReadableByOthers, keySetPath, readKeySet, writeKeySet, type PrivateKeySet } from './key-set-file.js';

/**
 * The key set the server starts with (KeyRing decides which key signs). Outside production,
 * missing keys are generated (with a warning); production refuses to start without them.
 */
export async function loadSigningKeys(runtime: RuntimeSettings, algorithm: SigningAlgorithm, warn: (message: string) => void): Promise<PrivateKeySet & { generated: SigningAlgorithm[] }> {
  const file = keySetPath(runtime.keysDir);
  const existing = readKeySet(runtime.keysDir);
  const missing = missingSigningKeys(runtime, algorithm, existing);
  let set = existing ?? { keys: [] };
  if (missing) {
    if (runtime.production) throw new ConfigError(missing.message);
    set = { ...set, keys: [...set.keys, ...(await Promise.all(missing.algorithms.map(generateSigningKey)))] };
    writeKeySet(runtime.keysDir, set);
    warn(`generated ${missing.algorithms.join(' and ')} signing key(s) in ${file}; in production create them beforehand with auth-connect keys generate`);
  }
  if (isReadableByOthers(runtime.keysDir)) warn(`${file} is readable by other users; chmod 600 it`);
  return { ...set, generated: missing?.algorithms ?? [] };
}

/** The signing keys KEYS_DIR lacks for `algorithm` (and RS256 for ID tokens), with the sentence production refuses to start with. */
export function missingSigningKeys(runtime: RuntimeSettings, algorithm: SigningAlgorithm, existing = readKeySet(runtime.keysDir)): { algorithms: SigningAlgorithm[]; message: string } | undefined {
  const algorithms = requiredAlgorithms(algorithm).filter((alg) => !existing?.keys.some((key) => key.alg === alg));
  if (!algorithms.length) return undefined;
  return { algorithms, message: `${keySetPath(runtime.keysDir)}: no ${algorithms.join(' and ')} signing key; create keys with: auth-connect keys generate (KEYS_DIR=${runtime.keysDir})` };
}
