import type { JWTPayload } from 'jose';
import { TokenVerificationError } from './errors.js';

/** What an API needs from a verified auth-connect access token (RFC 9068 claims plus roles and permissions). */
export interface AccessTokenClaims {
  /** The user, or the machine client for client-credentials tokens. */
  readonly sub: string;
  /** The client the token was issued to (`client_id`). */
  readonly clientId: string;
  /** The granted scope, split on spaces. */
  readonly scope: readonly string[];
  readonly roles: readonly string[];
  readonly permissions: readonly string[];
  /** How the user signed in (RFC 8176 `amr`: `pwd`, `otp`, `hwk`/`swk`, `user`, `mfa`); empty for machine tokens. */
  readonly amr: readonly string[];
  readonly email?: string;
  readonly expiresAt: Date;
  /** Every claim of the token, for anything the fields above leave out. */
  readonly payload: Readonly<JWTPayload>;
}

/**
 * Maps a verified payload to AccessTokenClaims. A claim of the wrong shape makes the token invalid rather than
 * being ignored: guessing what the issuer meant is how authorization mistakes happen. The result is frozen
 * because the verifier's cache hands the same object to every request that carries the token.
 */
export function accessTokenClaims(payload: JWTPayload): AccessTokenClaims {
  const { sub, client_id: clientId, scope, roles, permissions, amr, email, exp } = payload;
  if (typeof sub !== 'string' || sub === '') throw malformed('sub');
  if (typeof clientId !== 'string' || clientId === '') throw malformed('client_id');
  if (scope !== undefined && typeof scope !== 'string') throw malformed('scope');
  if (email !== undefined && typeof email !== 'string') throw malformed('email');
  if (typeof exp !== 'number') throw malformed('exp');
  const claims: AccessTokenClaims = {
    sub,
    clientId,
    scope: Object.freeze(scope ? scope.split(' ').filter(Boolean) : []),
    roles: stringList(roles, 'roles'),
    permissions: stringList(permissions, 'permissions'),
    amr: stringList(amr, 'amr'),
    ...(email === undefined ? {} : { email }),
    expiresAt: new Date(exp * 1000),
    payload: deepFreeze(payload),
  };
  return Object.freeze(claims);
}

function stringList(value: unknown, claim: string): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw malformed(claim);
  return Object.freeze([...value]);
}

function malformed(claim: string): TokenVerificationError {
  return new TokenVerificationError('INVALID_TOKEN', `the token's ${claim} claim is missing or malformed`);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
