import type { AccessTokenClaims } from './access-token-claims.js';

/**
 * One name or a list of names, checked when the middleware is built: an empty list would make
 * "any of" refuse everyone and "all of" allow everyone, so it is a programming mistake, not a rule.
 */
export function nameList(names: string | readonly string[], what: string): readonly string[] {
  const list = typeof names === 'string' ? [names] : [...names];
  if (list.length === 0 || list.some((name) => typeof name !== 'string' || name === '')) {
    throw new TypeError(`${what} needs at least one non-empty name`);
  }
  return Object.freeze(list);
}

export function hasAnyRole(claims: AccessTokenClaims, roles: readonly string[]): boolean {
  return roles.some((role) => claims.roles.includes(role));
}

export function hasAllPermissions(claims: AccessTokenClaims, permissions: readonly string[]): boolean {
  return permissions.every((permission) => claims.permissions.includes(permission));
}

export function missingRoleMessage(roles: readonly string[]): string {
  return roles.length === 1 ? `this request needs the ${roles[0]} role` : `this request needs one of the roles ${roles.join(', ')}`;
}

export function missingPermissionMessage(permissions: readonly string[]): string {
  return permissions.length === 1
    ? `this request needs the ${permissions[0]} permission`
    : `this request needs all of the permissions ${permissions.join(', ')}`;
}

/** The user signed in with two factors (a password and a code, or a passkey with user verification). */
export function signedInWithMfa(claims: AccessTokenClaims): boolean {
  return claims.amr.includes('mfa');
}

export const MISSING_MFA_MESSAGE = 'this request needs a sign-in with a second factor';
