/** What an Authorization header holds, for RFC 6750 §2.1 bearer authentication. */
export type BearerCredentials =
  /** No bearer credentials at all: no header, or another scheme such as Basic (RFC 6750 §3.1: no error code). */
  | { kind: 'absent' }
  /** "Bearer" with no token, or something that is not a token. */
  | { kind: 'malformed' }
  | { kind: 'token'; token: string };

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Reads `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 9110 §11.1). */
export function bearerCredentials(authorization: string | undefined): BearerCredentials {
  const parts = (authorization ?? '').trim().split(/ +/);
  const scheme = parts[0];
  if (scheme?.toLowerCase() !== 'bearer') return { kind: 'absent' };
  const token = parts[1];
  if (parts.length !== 2 || token === undefined || !B64TOKEN.test(token)) return { kind: 'malformed' };
  return { kind: 'token', token };
}
