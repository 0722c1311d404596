import { errors } from 'jose';
import { TokenVerificationError } from './errors.js';

/**
 * Turns jose's verification failures into TokenVerificationError. Only expiry is TOKEN_EXPIRED (the client
 * should refresh); everything else is INVALID_TOKEN. Messages are our own fixed sentences, never jose's text,
 * so nothing from the token can reach a response or a log through them.
 */
export function tokenErrorFrom(error: unknown): TokenVerificationError {
  if (error instanceof TokenVerificationError) return error;
  if (error instanceof errors.JWTExpired) return new TokenVerificationError('TOKEN_EXPIRED', 'the access token has expired', { cause: error });
  return new TokenVerificationError('INVALID_TOKEN', invalidTokenMessage(error), { cause: error });
}

function invalidTokenMessage(error: unknown): string {
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return `the token lacks the ${error.claim} claim`;
    switch (error.claim) {
      case 'typ':
        return 'the token is not an access token';
      case 'iss':
        return 'the token was issued by another issuer';
      case 'aud':
        return 'the token is not meant for this API';
      case 'nbf':
        return 'the token is not valid yet';
      default:
        return `the token's ${error.claim} claim is malformed`;
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm this API does not accept';
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token is signed with a key the issuer does not publish';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'the token is malformed';
  return 'the token is invalid';
}
