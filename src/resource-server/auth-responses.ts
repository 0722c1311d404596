import { TokenVerificationError, VerifierUnavailableError } from './errors.js';

/** A refusal, independent of the web framework: the Koa and the Node adapters both send these. */
export interface AuthResponse {
  status: 401 | 403 | 503;
  headers: Record<string, string>;
  body: { error: string; message: string };
}

export interface AuthMiddlewareOptions {
  /** The realm named in WWW-Authenticate challenges; default "api". */
  realm?: string;
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

export function malformedTokenResponse(realm: string): AuthResponse {
  return invalidTokenResponse(realm, new TokenVerificationError('INVALID_TOKEN', 'the bearer token is malformed'));
}

export function invalidTokenResponse(realm: string, error: TokenVerificationError): AuthResponse {
  return {
    status: 401,
    headers: { 'WWW-Authenticate': challenge(realm, 'invalid_token', error.message) },
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
export function verificationFailureResponse(realm: string, error: unknown): AuthResponse | undefined {
  if (error instanceof TokenVerificationError) return invalidTokenResponse(realm, error);
  if (error instanceof VerifierUnavailableError) return unavailableResponse(error);
  return undefined;
}

function challenge(realm: string, error: string, description: string): string {
  return `Bearer realm="${quotable(realm)}", error="${error}", error_description="${quotable(description)}"`;
}

// RFC 6750 §3: error_description (and, to be safe, realm) may hold only %x20-21 / %x23-5B / %x5D-7E,
// so no quote, no backslash, nothing outside printable ASCII.
function quotable(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '');
}
