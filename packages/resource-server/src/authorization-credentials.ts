/** The access token of a request and how it was presented (RFC 6750 §2.1 Bearer, RFC 9449 §7.1 DPoP). */
export type AccessTokenCredentials =
  /** No token at all: no header, or another scheme such as Basic. */
  | { kind: 'absent' }
  /** "Bearer" or "DPoP" with no token, or something that is not a token. */
  | { kind: 'malformed'; scheme: AccessTokenScheme }
  | { kind: 'token'; scheme: AccessTokenScheme; token: string };

export type AccessTokenScheme = 'Bearer' | 'DPoP';

// RFC 6750 §2.1 and RFC 9449 §7.1 share the token syntax: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Reads `Authorization: Bearer <token>` or `Authorization: DPoP <token>`; schemes are case-insensitive (RFC 9110 §11.1). */
export function accessTokenCredentials(authorization: string | undefined): AccessTokenCredentials {
  const parts = (authorization ?? '').trim().split(/ +/);
  const name = parts[0]?.toLowerCase();
  const scheme: AccessTokenScheme | undefined = name === 'bearer' ? 'Bearer' : name === 'dpop' ? 'DPoP' : undefined;
  if (!scheme) return { kind: 'absent' };
  const token = parts[1];
  if (parts.length !== 2 || token === undefined || !TOKEN68.test(token)) return { kind: 'malformed', scheme };
  return { kind: 'token', scheme, token };
}
