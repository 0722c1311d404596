import helmet from 'koa-helmet';
import type { Middleware } from 'koa';

/**
 * Security headers on every response (RFC 9700 §4.16, OWASP): a CSP without inline script (oidc-provider
 * adds the hash of its own form_post script to script-src), no framing, no sniffing, no referrer.
 * HSTS only when the issuer is https.
 */
export function securityHeaders(https: boolean): Middleware {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'"],
        'connect-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        'frame-ancestors': ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
    crossOriginResourcePolicy: false,
  });
}
