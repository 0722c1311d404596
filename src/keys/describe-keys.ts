import type { SigningAlgorithm } from '../config/types.js';
import type { PrivateKeySet } from './key-set-file.js';
import { keyView } from './key-schedule.js';

export interface KeyDescription {
  kid: string;
  alg: string;
  kty: string | undefined;
  status: string;
  created_at: string | null;
  sign_from: string | null;
  retire_at: string | null;
}

/** Public facts about each key (CLI and admin API): never key material. */
export function describeKeys(set: PrivateKeySet, configured: SigningAlgorithm, now = Date.now()): KeyDescription[] {
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
