import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { accessTokenClaims, type AccessTokenClaims } from './access-token-claims.js';
import type { AccessTokenScheme } from './authorization-credentials.js';
import { discoverJwksUri } from './discovery.js';
import { dpopProofChecker } from './dpop-proof.js';
import { DpopError, TokenVerificationError, VerifierUnavailableError } from './errors.js';
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
  /**
   * Verifies the access token of a request as it was presented: a DPoP-bound token (`cnf.jkt`, RFC 9449)
   * only with the DPoP scheme and a valid DPoP proof for this request, any other token only as Bearer.
   * Throws like verify(), with DpopError for the DPoP rules.
   */
  verifyRequest(request: PresentedToken): Promise<AccessTokenClaims>;
}

/** An access token as a request presents it. */
export interface PresentedToken {
  scheme: AccessTokenScheme;
  token: string;
  /** Every value of the request's DPoP header. */
  dpopProofs: readonly string[];
  /** The request method, e.g. GET. */
  method: string;
  /** The URL the client called (scheme, host and path; the query is ignored). */
  url: string;
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

  const checkDpopProof = dpopProofChecker({ clockTolerance: resolved.clockTolerance });

  const verifier: AccessTokenVerifier = {
    issuer,
    audience,
    async verifyRequest(request) {
      const claims = await verifier.verify(request.token);
      const jkt = boundKeyThumbprint(claims);
      if (request.scheme === 'Bearer') {
        // RFC 9449 §7.2: a bound token sent as a bearer token is refused, or a stolen token would work without its key
        if (jkt) throw new DpopError('invalid_token', 'this access token is bound to a DPoP key; send it with the DPoP scheme and a DPoP proof');
        return claims;
      }
      if (!jkt) throw new DpopError('invalid_token', 'this access token is not DPoP-bound; send it with the Bearer scheme');
      await checkDpopProof({ proofs: request.dpopProofs, method: request.method, url: request.url, accessToken: request.token, jkt });
      return claims;
    },
    async verify(token) {
      if (typeof token !== 'string' || token === '') throw new TokenVerificationError('INVALID_TOKEN', 'no access token was given');
      const key = cache.keyOf(token);
      const cached = cache.get(token, key);
      if (cached) return cached;
      let payload: JWTPayload;
      try {
        payload = await verifyWithKeySet(token, keys, verifyOptions);
      } catch (error) {
        if (error instanceof VerifierUnavailableError) throw error;
        throw tokenErrorFrom(error);
      }
      const claims = accessTokenClaims(payload);
      cache.set(token, claims, claims.expiresAt.getTime(), key);
      return claims;
    },
  };
  return verifier;
}

/** The token's `cnf.jkt` (RFC 9449 §6.1), or undefined for a token that is not DPoP-bound. */
function boundKeyThumbprint(claims: AccessTokenClaims): string | undefined {
  const cnf = claims.payload.cnf;
  if (cnf === undefined) return undefined;
  const jkt = (cnf as { jkt?: unknown } | null)?.jkt;
  if (jkt === undefined) return undefined;
  if (typeof jkt !== 'string' || jkt === '') throw new TokenVerificationError('INVALID_TOKEN', "the token's cnf claim is malformed");
  return jkt;
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
