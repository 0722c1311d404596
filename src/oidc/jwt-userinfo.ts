import type { Middleware } from 'koa';
import { errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Knex } from 'knex';
import { findUserById } from '../accounts/users-repository.js';
import type { Config } from '../config/types.js';
import { accessTokenCredentials, DPOP_ALGORITHMS, DpopError, dpopHeaderValues, dpopProofChecker, requestUrl } from '@auth-connect/resource-server';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Userinfo for our JWT access tokens. oidc-provider answers userinfo only for opaque tokens without an
 * audience, yet apps receive a JWT for the default API from the code exchange and standard relying-party
 * libraries call userinfo with it. This verifies such a JWT ourselves and answers by its identity scopes;
 * anything else falls through to oidc-provider. A DPoP-bound JWT (cnf.jkt) is taken only with the DPoP
 * scheme and a proof, by the resource-server kit's rules (RFC 9449 §7).
 */
export function jwtUserinfo(deps: { config: Config; db: Knex; keys: JWTVerifyGetKey }): Middleware {
  const jwks = deps.keys;
  const audiences = deps.config.auth.resources.map((r) => r.identifier);
  const issuer = deps.config.runtime.issuer;
  const checkDpopProof = dpopProofChecker({ clockTolerance: 15 });

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

    let payload;
    try {
      ({ payload } = await jwtVerify(token, jwks, { issuer, audience: audiences, typ: 'at+jwt', algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'] }));
    } catch (error) {
      refuse(401, 'invalid_token', error instanceof joseErrors.JWTExpired ? 'access token expired' : 'invalid access token');
      return;
    }
    const jkt = (payload.cnf as { jkt?: unknown } | undefined)?.jkt;
    if (scheme === 'Bearer' && jkt !== undefined) {
      refuse(401, 'invalid_token', 'this access token is bound to a DPoP key; send it with the DPoP scheme and a DPoP proof', 'DPoP');
      return;
    }
    if (scheme === 'DPoP') {
      if (typeof jkt !== 'string') {
        refuse(401, 'invalid_token', 'this access token is not DPoP-bound; send it with the Bearer scheme');
        return;
      }
      try {
        await checkDpopProof({ proofs: dpopHeaderValues(ctx.req), method: ctx.method, url: requestUrl(new URL(issuer).origin, ctx.originalUrl), accessToken: token, jkt });
      } catch (error) {
        if (!(error instanceof DpopError)) throw error;
        refuse(401, error.challengeError, error.message);
        return;
      }
    }
    const scopes = new Set(typeof payload.scope === 'string' ? payload.scope.split(' ') : []);
    if (!scopes.has('openid')) {
      refuse(403, 'insufficient_scope', 'access token missing openid scope');
      return;
    }
    const user = typeof payload.sub === 'string' ? await findUserById(deps.db, payload.sub) : undefined;
    if (!user || !user.is_active) {
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
