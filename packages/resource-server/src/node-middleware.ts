import type { IncomingMessage, ServerResponse } from 'node:http';
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
  missingPermissionMessage,
  missingRoleMessage,
  nameList,
  MISSING_MFA_MESSAGE,
  signedInWithMfa,
} from './authorization-rules.js';
import { accessTokenCredentials } from './authorization-credentials.js';
import { dpopHeaderValues, requestUrl } from './request-url.js';
import type { AccessTokenVerifier } from './verifier.js';

/** A request after expressAuthenticate: `auth` holds the verified claims. */
export interface AuthenticatedRequest extends IncomingMessage {
  auth?: AccessTokenClaims;
}

export type NextFunction = (error?: unknown) => void;

/** Express-style middleware written against Node's own http types, so it fits Express, Connect or plain http. */
export type NodeMiddleware = (req: AuthenticatedRequest, res: ServerResponse, next: NextFunction) => void;

/**
 * Verifies the request's access token (Bearer, or DPoP with its proof) and sets `req.auth`, or answers
 * 401 / 503 like the Koa authenticate().
 * An error that is not about the token goes to `next(error)`.
 */
export function expressAuthenticate(verifier: AccessTokenVerifier, options: AuthMiddlewareOptions = {}): NodeMiddleware {
  const realm = options.realm ?? DEFAULT_REALM;
  return (req, res, next) => {
    const credentials = accessTokenCredentials(req.headers.authorization);
    if (credentials.kind === 'absent') return send(res, missingTokenResponse(realm));
    if (credentials.kind === 'malformed') return send(res, malformedTokenResponse(realm, credentials.scheme));
    verifier
      .verifyRequest({
        scheme: credentials.scheme,
        token: credentials.token,
        dpopProofs: dpopHeaderValues(req),
        method: req.method ?? 'GET',
        // read only to check a DPoP proof; Express rewrites req.url inside mounted routers, originalUrl is what the client called
        get url() {
          const target = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
          const origin = options.origin ?? `${(req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
          return requestUrl(origin, target);
        },
      })
      .then(
        (claims) => {
          req.auth = claims;
          next();
        },
        (error: unknown) => {
          const response = verificationFailureResponse(realm, error, credentials.scheme);
          if (response) send(res, response);
          else next(error);
        },
      );
  };
}

/** Passes if the caller has ANY of the roles; otherwise 403. Needs expressAuthenticate before it. */
export function expressRequireRole(roles: string | readonly string[], options: AuthMiddlewareOptions = {}): NodeMiddleware {
  const wanted = nameList(roles, 'expressRequireRole');
  return guard(options, (claims) => hasAnyRole(claims, wanted), missingRoleMessage(wanted));
}

/** Passes only if the caller has ALL the permissions; otherwise 403. Needs expressAuthenticate before it. */
export function expressRequirePermission(permissions: string | readonly string[], options: AuthMiddlewareOptions = {}): NodeMiddleware {
  const wanted = nameList(permissions, 'expressRequirePermission');
  return guard(options, (claims) => hasAllPermissions(claims, wanted), missingPermissionMessage(wanted));
}

/** Passes only if the user signed in with a second factor (`amr` has `mfa`); otherwise 403. Needs expressAuthenticate before it. */
export function expressRequireMfa(options: AuthMiddlewareOptions = {}): NodeMiddleware {
  return guard(options, signedInWithMfa, MISSING_MFA_MESSAGE);
}

function guard(options: AuthMiddlewareOptions, allows: (claims: AccessTokenClaims) => boolean, refusal: string): NodeMiddleware {
  const realm = options.realm ?? DEFAULT_REALM;
  return (req, res, next) => {
    if (!req.auth) return send(res, missingTokenResponse(realm));
    if (!allows(req.auth)) return send(res, insufficientPermissionsResponse(realm, refusal));
    next();
  };
}

function send(res: ServerResponse, response: AuthResponse): void {
  const body = JSON.stringify(response.body);
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
