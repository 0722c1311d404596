import type Koa from 'koa';

/**
 * Makes a Koa app (ours, and oidc-provider, which is one) see every request as addressed to the
 * configured issuer: protocol, host and full URL come from ISSUER, never from the Host or X-Forwarded-*
 * headers nor from an absolute request target. oidc-provider builds discovery, jwks_uri, form actions and
 * redirects from these, so a request with `Host: evil.example` cannot make it publish evil.example (and
 * poison a shared cache), and cookies are Secure exactly when the issuer is https.
 * TRUST_PROXY still decides whether the client address comes from X-Forwarded-For.
 */
export function pinToIssuer(app: Koa, issuer: string): void {
  const { origin, host, hostname, protocol } = new URL(issuer);
  const scheme = protocol.slice(0, -1);
  Object.defineProperties(app.request, {
    protocol: { configurable: true, get: () => scheme },
    host: { configurable: true, get: () => host },
    hostname: { configurable: true, get: () => hostname },
    href: {
      configurable: true,
      get(this: Koa.Request) {
        return `${origin}${pathAndQuery(this.originalUrl)}`;
      },
    },
    URL: {
      configurable: true,
      get(this: Koa.Request) {
        return new URL(`${origin}${pathAndQuery(this.originalUrl)}`);
      },
    },
  });
}

/** The path and query of a request target, also when a client sent the absolute form (GET http://host/path). */
function pathAndQuery(target: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return target.startsWith('/') ? target : `/${target}`;
  try {
    const url = new URL(target);
    return `${url.pathname}${url.search}`;
  } catch {
    return '/';
  }
}
