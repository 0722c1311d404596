import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, errors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { DpopReplayCache } from './dpop-replay-cache.js';
import { DpopError } from './errors.js';

/** What a DPoP proof must match: the request it came with and the access token it accompanies. */
export interface DpopRequest {
  /** All DPoP header values of the request (RFC 9449 §4.3: exactly one is allowed). */
  proofs: readonly string[];
  method: string;
  /** The URL the client called; query and fragment are ignored. */
  url: string;
  accessToken: string;
  /** The access token's `cnf.jkt`: the thumbprint of the key the token is bound to. */
  jkt: string;
}

/** Signature algorithms of DPoP proofs: asymmetric only, a proof is checked with the key it carries. */
export const DPOP_ALGORITHMS: readonly string[] = Object.freeze([
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
  'EdDSA',
  'Ed25519',
]);
/** How old (by its `iat`) a proof may be; it is fresh for one request, so a short window suffices. */
export const DPOP_PROOF_MAX_AGE_SECONDS = 60;
const REPLAY_CACHE_SIZE = 100_000;

/**
 * Checks DPoP proofs as RFC 9449 §4.3 and §7.1 ask of a resource server: one proof, typ dpop+jwt, an
 * asymmetric signature by the public key in its header, htm and htu naming this request, a fresh iat, a jti
 * not seen before, ath = the hash of the access token, and a key whose thumbprint is the token's cnf.jkt.
 * Server nonces (use_dpop_nonce) are not used.
 */
export function dpopProofChecker(options: { clockTolerance: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const replays = new DpopReplayCache(REPLAY_CACHE_SIZE);

  return async function checkDpopProof(request: DpopRequest): Promise<void> {
    if (request.proofs.length === 0) throw new DpopError('invalid_dpop_proof', 'a DPoP proof is required with a DPoP-bound access token');
    if (request.proofs.length > 1) throw new DpopError('invalid_dpop_proof', 'send exactly one DPoP proof');
    let payload: JWTPayload;
    let jwk: JWK;
    try {
      const verified = await jwtVerify(request.proofs[0]!, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: [...DPOP_ALGORITHMS],
        requiredClaims: ['jti', 'htm', 'htu', 'iat', 'ath'],
        currentDate: new Date(now()),
      });
      payload = verified.payload;
      jwk = verified.protectedHeader.jwk!;
    } catch (error) {
      throw new DpopError('invalid_dpop_proof', proofMessage(error), { cause: error });
    }
    const { jti, htm, htu, iat, ath } = payload as { jti: unknown; htm: unknown; htu: unknown; iat: number; ath: unknown };
    if (typeof jti !== 'string' || jti.length < 8 || jti.length > 256) throw new DpopError('invalid_dpop_proof', 'the DPoP proof jti is malformed');
    if (htm !== request.method) throw new DpopError('invalid_dpop_proof', 'the DPoP proof was made for another HTTP method');
    if (typeof htu !== 'string' || !sameResource(htu, request.url)) throw new DpopError('invalid_dpop_proof', 'the DPoP proof was made for another URL');
    const nowSeconds = now() / 1000;
    if (iat > nowSeconds + options.clockTolerance || iat < nowSeconds - DPOP_PROOF_MAX_AGE_SECONDS - options.clockTolerance) {
      throw new DpopError('invalid_dpop_proof', 'the DPoP proof is not fresh');
    }
    if (ath !== createHash('sha256').update(request.accessToken).digest('base64url')) {
      throw new DpopError('invalid_dpop_proof', 'the DPoP proof was made for another access token');
    }
    if ((await calculateJwkThumbprint(jwk, 'sha256')) !== request.jkt) {
      throw new DpopError('invalid_token', 'the access token is bound to another key than the DPoP proof');
    }
    const acceptedUntilMs = (iat + DPOP_PROOF_MAX_AGE_SECONDS + 2 * options.clockTolerance) * 1000;
    if (!replays.firstUse(request.jkt, jti, acceptedUntilMs, now())) throw new DpopError('invalid_dpop_proof', 'the DPoP proof was used before');
  };
}

/** RFC 9449 §4.3 (9): htu matches the request URI, ignoring query and fragment, after normalisation (RFC 3986 §6.2.2–6.2.3). */
function sameResource(htu: string, requestUrl: string): boolean {
  const claimed = URL.parse(htu);
  const actual = URL.parse(requestUrl);
  return claimed !== null && actual !== null && claimed.origin === actual.origin && claimed.pathname === actual.pathname;
}

function proofMessage(error: unknown): string {
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'typ') return 'the DPoP proof is not of type dpop+jwt';
    if (error.reason === 'missing') return `the DPoP proof lacks the ${error.claim} claim`;
    return `the DPoP proof ${error.claim} claim is invalid`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the DPoP proof is signed with an algorithm this API does not accept';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the DPoP proof signature is invalid';
  return 'the DPoP proof is malformed';
}
