import type { Context, Middleware } from 'koa';
import type { AccessTokenClaims } from './access-token-claims.js';
import {
  DEFAULT_REALM,
  insufficientPermissionsResponse,
  malformedTokenResponse,
  missingTokenResponse,
  verificationFailureResponse,
  type AuthMiddlewareOptions,
  type AuthResponse,
} from './auth-responses.js';
import {
  hasAllPermissions,
  hasAnyRole,
  MISSING_MFA_MESSAGE,
  missingPermissionMessage,
  missingRoleMessage,
  nameList,
  signedInWithMfa,
} from './authorization-rules.js';
import { accessTokenCredentials } from './authorization-credentials.js';
import { dpopHeaderValues, requestUrl } from './request-url.js';
import type { AccessTokenVerifier } from './verifier.js';

/** What authenticate() adds to `ctx.state`. */
export interface AuthState {
  auth: AccessTokenClaims;
}

/**
 * Koa middleware: verifies the request's access token (Bearer, or DPoP with its proof) and puts its claims
 * on `ctx.state.auth`, or answers 401 (no, bad or expired token, a bound token without its proof) or 503
 * (the issuer's keys cannot be fetched) without calling the next one.
 */
export function authenticate(verifier: AccessTokenVerifier, options: AuthMiddlewareOptions = {}): Middleware<AuthState> {
  const realm = options.realm ?? DEFAULT_REALM;
  return async (ctx, next) => {
    const credentials = accessTokenCredentials(ctx.get('authorization'));
    if (credentials.kind === 'absent') return respond(ctx, missingTokenResponse(realm));
    if (credentials.kind === 'malformed') return respond(ctx, malformedTokenResponse(realm, credentials.scheme));
    let claims: AccessTokenClaims;
    try {
      claims = await verifier.verifyRequest({
        scheme: credentials.scheme,
        token: credentials.token,
        dpopProofs: dpopHeaderValues(ctx.req),
        method: ctx.method,
        // read only to check a DPoP proof; Koa 3's ctx.origin is the Origin header, not the request's own origin
        get url() {
          return requestUrl(options.origin ?? `${ctx.protocol}://${ctx.host}`, ctx.originalUrl);
        },
      });
    } catch (error) {
      const response = verificationFailureResponse(realm, error, credentials.scheme);
      if (!response) throw error;
      return respond(ctx, response);
    }
    ctx.state.auth = claims;
    await next();
  };
}

/** Lets the request through if the caller has ANY of the roles; otherwise 403. Needs authenticate() before it. */
export function requireRole(roles: string | readonly string[], options: AuthMiddlewareOptions = {}): Middleware<Partial<AuthState>> {
  const wanted = nameList(roles, 'requireRole');
  return guard(options, (claims) => hasAnyRole(claims, wanted), missingRoleMessage(wanted));
}

/** Lets the request through only if the caller has ALL the permissions; otherwise 403. Needs authenticate() before it. */
export function requirePermission(permissions: string | readonly string[], options: AuthMiddlewareOptions = {}): Middleware<Partial<AuthState>> {
  const wanted = nameList(permissions, 'requirePermission');
  return guard(options, (claims) => hasAllPermissions(claims, wanted), missingPermissionMessage(wanted));
}

/** Lets the request through only if the user signed in with a second factor (`amr` has `mfa`); otherwise 403. Needs authenticate() before it. */
export function requireMfa(options: AuthMiddlewareOptions = {}): Middleware<Partial<AuthState>> {
  return guard(options, signedInWithMfa, MISSING_MFA_MESSAGE);
}

function guard(options: AuthMiddlewareOptions, allows: (claims: AccessTokenClaims) => boolean, refusal: string): Middleware<Partial<AuthState>> {
  const realm = options.realm ?? DEFAULT_REALM;
  return async (ctx, next) => {
    const claims = ctx.state.auth;
    // without authenticate() in front nobody is authenticated: refuse as for a missing token, never let through
    if (!claims) return respond(ctx, missingTokenResponse(realm));
    if (!allows(claims)) return respond(ctx, insufficientPermissionsResponse(realm, refusal));
    await next();
  };
}

function respond(ctx: Context, response: AuthResponse): void {
  ctx.status = response.status;
  ctx.set(response.headers);
  ctx.body = response.body;
}
