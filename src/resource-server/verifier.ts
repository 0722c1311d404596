import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { accessTokenClaims, type AccessTokenClaims } from './access-token-claims.js';
import { discoverJwksUri } from './discovery.js';
import { TokenVerificationError, VerifierUnavailableError } from './errors.js';
import { remoteKeySet } from './remote-key-set.js';
import { tokenErrorFrom } from './token-errors.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { resolveVerifierOptions, type VerifierOptions } from './verifier-options.js';

export interface AccessTokenVerifier {
  readonly issuer: string;
  readonly audience: string;
  /**
   * Verifies an auth-connect access token and answers its claims. Throws TokenVerificationError
   * (INVALID_TOKEN, TOKEN_EXPIRED) for a token to refuse, VerifierUnavailableError when the issuer's keys
   * cannot be fetched.
   */
  verify(token: string): Promise<AccessTokenClaims>;
}

/**
 * Makes a verifier for access tokens of one issuer and one audience. Nothing is fetched until the first
 * verify(); options that would make verification unsafe (`none`, HS*) throw VerifierOptionsError here.
 */
export function createVerifier(options: VerifierOptions): AccessTokenVerifier {
  const resolved = resolveVerifierOptions(options);
  const { issuer, audience, jwksUri } = resolved;
  const keys = resolved.keySet ?? remoteKeySet(jwksUri ? async () => jwksUri : discoverJwksUri(issuer), resolved.jwksCacheMaxAgeSeconds);
  const cache = new VerifiedTokenCache<AccessTokenClaims>(resolved.cacheSize);
  const verifyOptions: JWTVerifyOptions = {
    issuer,
    audience,
    algorithms: resolved.algorithms,
    clockTolerance: resolved.clockTolerance,
    // RFC 9068 §4: refusing other types keeps an ID token (typ JWT) from passing as an access token;
    // jose compares case-insensitively and with or without the "application/" prefix
    typ: 'at+jwt',
    requiredClaims: ['exp', 'sub', 'client_id'],
  };

  return {
    issuer,
    audience,
    async verify(token) {
      if (typeof token !== 'string' || token === '') throw new TokenVerificationError('INVALID_TOKEN', 'no access token was given');
      const cached = cache.get(token);
      if (cached) return cached;
      let payload: JWTPayload;
      try {
        payload = await verifyWithKeySet(token, keys, verifyOptions);
      } catch (error) {
        if (error instanceof VerifierUnavailableError) throw error;
        throw tokenErrorFrom(error);
      }
      const claims = accessTokenClaims(payload);
      cache.set(token, claims, claims.expiresAt.getTime());
      return claims;
    },
  };
}

/** jwtVerify, trying each candidate key when the token names no `kid` and several keys of its type are published. */
async function verifyWithKeySet(token: string, keys: JWTVerifyGetKey, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, keys, options)).payload;
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    for await (const key of error) {
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (attempt) {
        if (!(attempt instanceof errors.JWSSignatureVerificationFailed)) throw attempt;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}
