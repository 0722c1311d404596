import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import { VerifierUnavailableError } from './errors.js';
import type { JwksUriSource } from './discovery.js';

const RETRY_AFTER_SECONDS = 5;

/**
 * The issuer's public keys, through jose's remote JWKS (which caches the set, and refetches it for an unknown
 * `kid` at most once per cooldown). Failing to fetch or read the set becomes VerifierUnavailableError, so it
 * is answered 503 and never mistaken for a bad token.
 */
export function remoteKeySet(jwksUri: JwksUriSource, cacheMaxAgeSeconds?: number): JWTVerifyGetKey {
  let keySet: ReturnType<typeof createRemoteJWKSet> | undefined;
  return async (protectedHeader, token) => {
    if (!keySet) {
      const uri = await jwksUri();
      // concurrent first calls share whichever set was made first
      keySet ??= createRemoteJWKSet(
        uri,
        cacheMaxAgeSeconds === undefined ? {} : { cacheMaxAge: cacheMaxAgeSeconds * 1000, cooldownDuration: Math.min(30_000, cacheMaxAgeSeconds * 1000) },
      );
    }
    try {
      return await keySet(protectedHeader, token);
    } catch (error) {
      if (isKeySetUnavailable(error)) {
        throw new VerifierUnavailableError("cannot fetch the issuer's signing keys", RETRY_AFTER_SECONDS, { cause: error });
      }
      throw error;
    }
  };
}

function isKeySetUnavailable(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError)) return true; // fetch's own failures (refused, DNS, TLS, aborted)
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  // jose's generic error is what it throws for a non-200 answer or a body that is not JSON
  return error.code === errors.JOSEError.code;
}
