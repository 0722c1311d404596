/**
 * The kit's errors carry a stable `code`, like jose's, so callers branch on codes and never on messages.
 * Messages are short, fixed sentences: they never echo the token or anything read from it.
 */

export type TokenErrorCode = 'INVALID_TOKEN' | 'TOKEN_EXPIRED';

/** The caller's token is refused: answer 401. */
export class TokenVerificationError extends Error {
  readonly code: TokenErrorCode;
  constructor(code: TokenErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TokenVerificationError';
    this.code = code;
  }
}

/**
 * A refusal under RFC 9449 (DPoP): answered 401 INVALID_TOKEN like any refused token, with a `DPoP`
 * challenge whose error is `invalid_dpop_proof` (the proof is missing or wrong) or `invalid_token` (a
 * DPoP-bound token sent as a bearer token, or a token and proof bound to different keys).
 */
export class DpopError extends TokenVerificationError {
  readonly challengeError: 'invalid_token' | 'invalid_dpop_proof';
  constructor(challengeError: 'invalid_token' | 'invalid_dpop_proof', message: string, options?: ErrorOptions) {
    super('INVALID_TOKEN', message, options);
    this.name = 'DpopError';
    this.challengeError = challengeError;
  }
}

/**
 * The issuer's discovery document or key set cannot be fetched or used, so no token can be judged right now:
 * answer 503, not 401, because the caller did nothing wrong.
 */
export class VerifierUnavailableError extends Error {
  readonly code = 'VERIFIER_UNAVAILABLE';
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'VerifierUnavailableError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** createVerifier was given options that would make it unsafe or unusable; thrown at construction. */
export class VerifierOptionsError extends TypeError {
  readonly code = 'INVALID_VERIFIER_OPTIONS';
  constructor(message: string) {
    super(message);
    this.name = 'VerifierOptionsError';
  }
}

export function isTokenVerificationError(error: unknown): error is TokenVerificationError {
  return error instanceof TokenVerificationError;
}

export function isVerifierUnavailableError(error: unknown): error is VerifierUnavailableError {
  return error instanceof VerifierUnavailableError;
}
