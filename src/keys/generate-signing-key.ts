import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { SigningAlgorithm } from '../config/types.js';
import type { PrivateKeySet } from './key-set-file.js';

/** A new private signing key as a JWK with `kid` (its thumbprint), `alg` and `use`. */
export async function generateSigningKey(alg: SigningAlgorithm): Promise<PrivateKeySet['keys'][number]> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : { modulusLength: 2048 }) });
  const jwk = await exportJWK(privateKey);
  const kid = (await calculateJwkThumbprint(jwk, 'sha256')).slice(0, 16);
  return { ...jwk, kid, alg, use: 'sig' };
}

/**
 * The algorithms the key set must cover: the configured one for access tokens, and RS256, which OpenID
 * Connect Core §15.1 makes mandatory for ID tokens of clients that name no algorithm.
 */
export function requiredAlgorithms(configured: SigningAlgorithm): SigningAlgorithm[] {
  return [...new Set<SigningAlgorithm>([configured, 'RS256'])];
}
