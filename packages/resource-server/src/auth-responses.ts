import type { AccessTokenScheme } from './authorization-credentials.js';
import { DPOP_ALGORITHMS } from './dpop-proof.js';
import { DpopError, TokenVerificationError, VerifierUnavailableError } from './errors.js';

/** A refusal, independent of the web framework: the Koa and the Node adapters both send these. */
export interface AuthResponse {
  status: 401 | 403 | 503;
  headers: Record<string, string>;
  body: { error: string; message: string };
}

export interface AuthMiddlewareOptions {
  /** The realm named in WWW-Authenticate challenges; default "api". */
  realm?: string;
  /**
   * The scheme, host and port clients call this API at, e.g. "https://api.example.com". A DPoP proof names
   * the URL it was made for (htu); without this option that URL is rebuilt from the request (its Host header,
   * and in Koa with `app.proxy` the X-Forwarded-* headers), which a client controls. Set it in production.
   */
  origin?: string;
}

export const DEFAULT_REALM = 'api';

/** No bearer token: RFC 6750 §3.1 says the challenge then carries no error code. */
export function missingTokenResponse(realm: string): AuthResponse {
  return {
    status: 401,
    headers: { 'WWW-Authenticate': `Bearer realm="${quotable(realm)}"` },
    body: { error: 'INVALID_TOKEN', message: 'an access token is required' },
  };
}

export function malformedTokenResponse(realm: string, scheme: AccessTokenScheme = 'Bearer'): AuthResponse {
  const message = scheme === 'DPoP' ? 'the DPoP access token is malformed' : 'the bearer token is malformed';
  return invalidTokenResponse(realm, new TokenVerificationError('INVALID_TOKEN', message), scheme);
}

/**
 * A refused token. The challenge names the scheme the client should use: DPoP (RFC 9449 §7.1, with the
 * accepted proof algorithms) for a DPoP failure or a token presented with DPoP, Bearer otherwise.
 */
export function invalidTokenResponse(realm: string, error: TokenVerificationError, scheme: AccessTokenScheme = 'Bearer'): AuthResponse {
  const dpop = error instanceof DpopError || scheme === 'DPoP';
  const code = error instanceof DpopError ? error.challengeError : 'invalid_token';
  return {
    status: 401,
    headers: {
      'WWW-Authenticate': dpop
        ? `${challenge(realm, code, error.message, 'DPoP')}, algs="${DPOP_ALGORITHMS.join(' ')}"`
        : challenge(realm, code, error.message),
    },
    body: { error: error.code, message: error.message },
  };
}

export function insufficientPermissionsResponse(realm: string, message: string): AuthResponse {
  return {
    status: 403,
    headers: { 'WWW-Authenticate': challenge(realm, 'insufficient_scope', message) },
    body: { error: 'INSUFFICIENT_PERMISSIONS', message },
  };
}

export function unavailableResponse(error: VerifierUnavailableError): AuthResponse {
  return {
    status: 503,
    headers: { 'Retry-After': String(error.retryAfterSeconds) },
    body: { error: 'SERVICE_UNAVAILABLE', message: 'cannot check access tokens right now; try again shortly' },
  };
}

/** The response for an error verify() threw, or undefined for an error that is not about the token (a bug). */
export function verificationFailureResponse(realm: string, error: unknown, scheme: AccessTokenScheme = 'Bearer'): AuthResponse | undefined {
  if (error instanceof TokenVerificationError) return invalidTokenResponse(realm, error, scheme);
  if (error instanceof VerifierUnavailableError) return unavailableResponse(error);
  return undefined;
}

function challenge(realm: string, error: string, description: string, scheme: AccessTokenScheme = 'Bearer'): string {
  return `${scheme} realm="${quotable(realm)}", error="${error}", error_description="${quotable(description)}"`;
}

// RFC 6750 §3: error_description (and, to be safe, realm) may hold only %x20-21 / %x23-5B / %x5D-7E,
// so no quote, no backslash, nothing outside printable ASCII.
function quotable(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '');
}
