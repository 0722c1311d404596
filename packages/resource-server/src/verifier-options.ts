import type { JWTVerifyGetKey } from 'jose';
import { VerifierOptionsError } from './errors.js';

export interface VerifierOptions {
  /** The authorization server's issuer identifier, exactly as it appears in the tokens' `iss`. */
  issuer: string;
  /** This API's resource identifier; a token is accepted only if its `aud` contains it. */
  audience: string;
  /** Accepted signature algorithms; default ES256, RS256, PS256, EdDSA. Symmetric ones and `none` are refused. */
  algorithms?: string[];
  /** Seconds of clock skew allowed for `exp` and `nbf`; default 30, at most 60. */
  clockTolerance?: number;
  /** The issuer's JWKS address; when given, discovery is skipped. */
  jwksUri?: string;
  /** Most verified tokens remembered (until their `exp`); default 10 000, 0 turns the cache off. */
  cacheSize?: number;
  /**
   * The issuer's public keys as a jose key resolver (e.g. createLocalJWKSet), for a verifier running beside
   * the issuer, which must not fetch its own JWKS over the network. Discovery and jwksUri are then skipped.
   */
  keySet?: JWTVerifyGetKey;
  /**
   * How long a fetched JWKS is trusted before it is fetched again (default 600 s, jose's). auth-connect
   * publishes a new signing key before it signs with it (signing_keys.prepublish_seconds, default 900 s);
   * keep this below that, and a rotation never meets a verifier without the new key.
   */
  jwksCacheMaxAgeSeconds?: number;
}

export interface ResolvedVerifierOptions {
  issuer: string;
  audience: string;
  algorithms: string[];
  clockTolerance: number;
  jwksUri: URL | undefined;
  cacheSize: number;
  keySet: JWTVerifyGetKey | undefined;
  jwksCacheMaxAgeSeconds: number | undefined;
}

export const DEFAULT_ALGORITHMS: readonly string[] = Object.freeze(['ES256', 'RS256', 'PS256', 'EdDSA']);
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
export const MAX_CLOCK_TOLERANCE_SECONDS = 60;
export const DEFAULT_CACHE_SIZE = 10_000;

// Only asymmetric algorithms: a resource server verifies with the issuer's public keys. Accepting HS* would let
// anyone holding those public key bytes forge tokens (algorithm confusion); `none` would accept any token.
const ASYMMETRIC_ALGORITHMS = new Set(['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'Ed25519']);

/** Checks createVerifier's options and fills in defaults; any mistake throws VerifierOptionsError at once. */
export function resolveVerifierOptions(options: VerifierOptions): ResolvedVerifierOptions {
  const { issuer, audience } = options;
  if (typeof issuer !== 'string' || !isHttpUrl(issuer)) throw new VerifierOptionsError('issuer must be an http(s) URL');
  if (typeof audience !== 'string' || audience === '') throw new VerifierOptionsError('audience must be a non-empty string');
  return {
    issuer,
    audience,
    algorithms: resolveAlgorithms(options.algorithms),
    clockTolerance: resolveClockTolerance(options.clockTolerance),
    jwksUri: resolveJwksUri(options.jwksUri),
    cacheSize: resolveCacheSize(options.cacheSize),
    keySet: typeof options.keySet === 'function' ? options.keySet : undefined,
    jwksCacheMaxAgeSeconds: resolveCacheMaxAge(options.jwksCacheMaxAgeSeconds),
  };
}

function resolveAlgorithms(algorithms: string[] | undefined): string[] {
  if (algorithms === undefined) return [...DEFAULT_ALGORITHMS];
  if (!Array.isArray(algorithms) || algorithms.length === 0) throw new VerifierOptionsError('algorithms must be a non-empty list');
  for (const alg of algorithms) {
    if (typeof alg === 'string' && (alg.toLowerCase() === 'none' || /^HS/i.test(alg))) {
      throw new VerifierOptionsError(`algorithm ${alg} is refused: access tokens must be verified with the issuer's public keys`);
    }
    if (typeof alg !== 'string' || !ASYMMETRIC_ALGORITHMS.has(alg)) {
      throw new VerifierOptionsError(`algorithm ${String(alg)} is not supported; use one of ${[...ASYMMETRIC_ALGORITHMS].join(', ')}`);
    }
  }
  return [...new Set(algorithms)];
}

function resolveClockTolerance(seconds: number | undefined): number {
  if (seconds === undefined) return DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_CLOCK_TOLERANCE_SECONDS) {
    throw new VerifierOptionsError(`clockTolerance must be between 0 and ${MAX_CLOCK_TOLERANCE_SECONDS} seconds`);
  }
  return seconds;
}

function resolveJwksUri(jwksUri: string | undefined): URL | undefined {
  if (jwksUri === undefined) return undefined;
  if (typeof jwksUri !== 'string' || !isHttpUrl(jwksUri)) throw new VerifierOptionsError('jwksUri must be an http(s) URL');
  return new URL(jwksUri);
}

function resolveCacheSize(size: number | undefined): number {
  if (size === undefined) return DEFAULT_CACHE_SIZE;
  if (!Number.isSafeInteger(size) || size < 0) throw new VerifierOptionsError('cacheSize must be a whole number, 0 or more');
  return size;
}

function isHttpUrl(value: string): boolean {
  const url = URL.parse(value);
  return url !== null && (url.protocol === 'https:' || url.protocol === 'http:');
}

function resolveCacheMaxAge(seconds: number | undefined): number | undefined {
  if (seconds === undefined) return undefined;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 1)
    throw new VerifierOptionsError('jwksCacheMaxAgeSeconds must be a number of seconds, at least 1');
  return seconds;
}
