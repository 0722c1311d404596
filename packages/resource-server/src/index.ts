/**
 * @auth-connect/resource-server: what an API needs to accept auth-connect access tokens. It verifies them
 * offline against the issuer's JWKS (DPoP-bound ones with their proof, RFC 9449) and checks roles and permissions, with middleware for Koa and for
 * Express-style (Node http) servers. It depends on jose alone, never on the auth-connect server.
 */
export { createVerifier, type AccessTokenVerifier, type PresentedToken } from './verifier.js';
export {
  DEFAULT_ALGORITHMS,
  DEFAULT_CACHE_SIZE,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  MAX_CLOCK_TOLERANCE_SECONDS,
  type VerifierOptions,
} from './verifier-options.js';
export type { AccessTokenClaims } from './access-token-claims.js';
export {
  TokenVerificationError,
  VerifierUnavailableError,
  VerifierOptionsError,
  DpopError,
  isTokenVerificationError,
  isVerifierUnavailableError,
  type TokenErrorCode,
} from './errors.js';
export { authenticate, requireMfa, requireRole, requirePermission, type AuthState } from './koa-middleware.js';
export {
  expressAuthenticate,
  expressRequireMfa,
  expressRequireRole,
  expressRequirePermission,
  type AuthenticatedRequest,
  type NextFunction,
  type NodeMiddleware,
} from './node-middleware.js';
export { DEFAULT_REALM, type AuthMiddlewareOptions } from './auth-responses.js';
export { bearerCredentials, type BearerCredentials } from './bearer-token.js';
export { accessTokenCredentials, type AccessTokenCredentials, type AccessTokenScheme } from './authorization-credentials.js';
export { DPOP_ALGORITHMS, DPOP_PROOF_MAX_AGE_SECONDS } from './dpop-proof.js';
// Building blocks for a framework without middleware here, and for auth-connect's own userinfo, which checks
// its tokens against several audiences with its own keys: the DPoP proof check alone, and where a request's
// DPoP headers and URL come from.
export { dpopProofChecker, type DpopRequest } from './dpop-proof.js';
export { dpopHeaderValues, requestUrl } from './request-url.js';
