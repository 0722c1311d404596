import type { Middleware } from 'koa';
import { errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Knex } from 'knex';
import { findUserById } from '../accounts/users-repository.js';
import type { Config } from '../config/types.js';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Userinfo for our JWT access tokens. oidc-provider answers userinfo only for opaque tokens without an
 * audience, yet apps receive a JWT for the default API from the code exchange and standard relying-party
 * libraries call userinfo with it. This verifies such a JWT ourselves and answers by its identity scopes;
 * anything else falls through to oidc-provider.
 */
export function jwtUserinfo(deps: { config: Config; db: Knex; keys: JWTVerifyGetKey }): Middleware {
  const jwks = deps.keys;
  const audiences = deps.config.auth.resources.map((r) => r.identifier);
  const issuer = deps.config.runtime.issuer;

  return async (ctx, next) => {
    if (ctx.path !== '/me' || (ctx.method !== 'GET' && ctx.method !== 'POST')) return next();
    const token = /^Bearer ([^\s]+)$/i.exec(ctx.get('authorization'))?.[1];
    if (!token || !JWT_SHAPE.test(token)) return next();

    ctx.set('Cache-Control', 'no-store');
    const refuse = (status: number, error: string, description: string) => {
      ctx.status = status;
      ctx.set('WWW-Authenticate', `Bearer realm="${issuer}", error="${error}", error_description="${description}"`);
      ctx.body = { error, error_description: description };
    };

    let payload;
    try {
      ({ payload } = await jwtVerify(token, jwks, { issuer, audience: audiences, typ: 'at+jwt', algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'] }));
    } catch (error) {
      refuse(401, 'invalid_token', error instanceof joseErrors.JWTExpired ? 'access token expired' : 'invalid access token');
      return;
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
