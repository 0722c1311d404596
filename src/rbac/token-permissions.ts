/**
 * Who a token is for, which decides what "no permission scope asked" means: an app of our own
 * (first-party) gets what its user holds, as a login always did; someone else's app (third-party) gets
 * nothing it was not explicitly granted; a machine client acting as itself gets what it was registered with.
 */
export type TokenAudience = 'first-party' | 'third-party' | 'machine';

export interface PermissionRequest {
  audience: TokenAudience;
  /** What the subject holds: a user's role (narrowed to an API key's list), or a machine client's registration. */
  held: readonly string[];
  /** The client's registered permissions when it has any: its tokens never carry more. */
  clientAllows?: readonly string[];
  /** The permission scopes of the request that began this grant (empty: none asked). */
  asked: readonly string[];
  /** What the grant allows for this token when something was asked: the consent, a refresh's narrower `scope`. */
  granted?: readonly string[];
}

/**
 * The permissions an access token carries: held ∩ allowed for the client ∩ asked ∩ granted. Asking for
 * something that is not held never widens the result; an empty intersection stays empty.
 */
export function tokenPermissions(request: PermissionRequest): string[] {
  const { audience, held, clientAllows, asked, granted } = request;
  const allowed = clientAllows?.length ? new Set(clientAllows) : undefined;
  const result = [...new Set(held)].filter((permission) => !allowed || allowed.has(permission));
  if (asked.length === 0) return audience === 'third-party' ? [] : result;
  const wanted = new Set(asked.filter((permission) => !granted || granted.includes(permission)));
  return result.filter((permission) => wanted.has(permission));
}
