import type { JWK } from 'jose';
import type { PrivateKeySet } from './key-set-file.js';

const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv']);

/** The public part of each key, with kid, alg and use: what /jwks publishes. */
export function publicKeys(set: PrivateKeySet): JWK[] {
  return set.keys.map((key) => Object.fromEntries(Object.entries(key).filter(([member]) => !PRIVATE_MEMBERS.has(member))) as JWK);
}
