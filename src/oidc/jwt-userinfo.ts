import type { Middleware } from 'koa';
import { decodeJwt, type JWTVerifyGetKey } from 'jose';
import type { Knex } from 'knex';
import { findUser } from '../accounts/accounts-service.js';
import type { Config } from '../config/types.js';
import {
  accessTokenCredentials,
  createVerifier,
  DPOP_ALGORITHMS,
  DpopError,
  dpopHeaderValues,
  isTokenVerificationError,
  requestUrl,
  type AccessTokenClaims,
  type AccessTokenVerifier,
} from '@auth-connect/resource-server';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Userinfo for our JWT access tokens. oidc-provider answers userinfo only for opaque tokens without an
 * audience, yet apps receive a JWT for the default API from the code exchange and standard relying-party
 * libraries call userinfo with it. This verifies such a JWT with the resource-server kit — the same rules
 * every API applies, DPoP included (RFC 9449 §7) — and answers by its identity scopes; anything else falls
 * through to oidc-provider. There is one verifier per configured API, since a token names one audience.
 */
export function jwtUserinfo(deps: { config: Config; db: Knex; keys: JWTVerifyGetKey }): Middleware {
  const issuer = deps.config.runtime.issuer;
  const verifiers = new Map<unknown, AccessTokenVerifier>(
    deps.config.auth.resources.map((r) => [r.identifier, createVerifier({ issuer, audience: r.identifier, keySet: deps.keys })]),
  );

  return async (ctx, next) => {
    if (ctx.path !== '/me' || (ctx.method !== 'GET' && ctx.method !== 'POST')) return next();
    const credentials = accessTokenCredentials(ctx.get('authorization'));
    if (credentials.kind !== 'token' || !JWT_SHAPE.test(credentials.token)) return next();
    const { token, scheme } = credentials;

    ctx.set('Cache-Control', 'no-store');
    const refuse = (status: number, error: string, description: string, challengeScheme = scheme) => {
      ctx.status = status;
      const algs = challengeScheme === 'DPoP' ? `, algs="${DPOP_ALGORITHMS.join(' ')}"` : '';
      ctx.set('WWW-Authenticate', `${challengeScheme} realm="${issuer}", error="${error}", error_description="${description}"${algs}`);
      ctx.body = { error, error_description: description };
    };

    let claims: AccessTokenClaims;
    try {
      const verifier = verifiers.get(audienceOf(token));
      if (!verifier) return refuse(401, 'invalid_token', 'invalid access token');
      const request = { scheme, token, dpopProofs: dpopHeaderValues(ctx.req), method: ctx.method, url: requestUrl(new URL(issuer).origin, ctx.originalUrl) };
      claims = await verifier.verifyRequest(request);
    } catch (error) {
      if (error instanceof DpopError) return refuse(401, error.challengeError, error.message, 'DPoP');
      if (!isTokenVerificationError(error)) throw error;
      return refuse(401, 'invalid_token', error.code === 'TOKEN_EXPIRED' ? 'access token expired' : 'invalid access token');
    }
    const { payload } = claims;
    const scopes = new Set(typeof payload.scope === 'string' ? payload.scope.split(' ') : []);
    if (!scopes.has('openid')) {
      refuse(403, 'insufficient_scope', 'access token missing openid scope');
      return;
    }
    const user = await findUser(deps, claims.sub);
    if (!user?.is_active) {
      refuse(401, 'invalid_token', 'invalid access token');
      return;
    }
    ctx.body = {
      sub: user.id,
      ...(scopes.has('email') ? { email: user.email, email_verified: user.email_verified } : {}),
      // the token's own permissions: what was granted to this app, not everything the role holds
      ...(scopes.has('roles') ? { roles: [user.role], permissions: Array.isArray(payload.permissions) ? payload.permissions : [] } : {}),
    };
  };
}

/** The audience a token names, read before verification only to pick its verifier (which checks it again). */
function audienceOf(token: string): unknown {
  try {
    const { aud } = decodeJwt(token);
    return Array.isArray(aud) && aud.length === 1 ? aud[0] : aud;
  } catch {
    return undefined;
  }
}
