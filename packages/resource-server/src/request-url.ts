/**
 * The URL a request was made to, as a DPoP proof's htu names it: the configured origin (or the one the
 * request claims) and the path of the original request target, before any router mounting rewrote it.
 */
export function requestUrl(origin: string, target: string): string {
  const path = URL.parse(target, 'http://target.invalid')?.pathname ?? '/';
  return `${origin.replace(/\/+$/, '')}${path}`;
}

/**
 * Every value of the DPoP header (Node joins repeated unknown headers into one; headersDistinct keeps them
 * apart). Node builds headersDistinct from all the headers when it is first read, so a request without a
 * DPoP header (every Bearer request) never reads it.
 */
export function dpopHeaderValues(headers: { headersDistinct?: Record<string, string[] | undefined>; headers: Record<string, unknown> }): string[] {
  if (headers.headers.dpop === undefined) return [];
  const distinct = headers.headersDistinct?.dpop;
  if (distinct) return distinct;
  const joined = headers.headers.dpop;
  return typeof joined === 'string' ? [joined] : [];
}
