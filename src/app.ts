import Koa from 'koa';
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { AccountsContext } from './accounts/accounts-service.js';
import type { Config } from './config/types.js';
import { errorMiddleware } from './http/error-middleware.js';
import { healthRoutes } from './http/health-routes.js';
import { securityHeaders } from './http/security-headers.js';
import { staticAssets } from './http/static-assets.js';
import { csrfProtection } from './interactions/csrf.js';
import { interactionRoutes } from './interactions/interaction-routes.js';
import type { PrivateKeySet } from './keys/key-set-file.js';
import type { Logger } from './logger.js';
import { jwtUserinfo } from './oidc/jwt-userinfo.js';
import { authRoutes } from './api/auth-routes.js';
import { publicKeys } from './keys/public-keys.js';
import { createVerifier } from './resource-server/index.js';
import { createLocalJWKSet } from 'jose';

export interface AppContext {
  config: Config;
  db: Knex;
  log: Logger;
  provider: Provider;
  keys: PrivateKeySet;
  cookieKeys: string[];
  serverSecret: string;
}

/**
 * One Koa app: security headers and error mapping, then our routes (health, pages, userinfo for JWTs),
 * then oidc-provider for everything else. The provider handles its requests with its own context and
 * cookie keys, which are the app's keys too, so interaction cookies are found on both sides.
 */
export function createApp(deps: AppContext): Koa {
  const { config, db, log, provider } = deps;
  const app = new Koa({ proxy: config.auth.server.trust_proxy });
  app.keys = deps.cookieKeys;
  app.silent = true;
  const accounts: AccountsContext = { db, config };

  app.use(securityHeaders(config.runtime.issuer.startsWith('https:')));
  app.use(errorMiddleware(log));
  app.use(staticAssets(['app.css']));
  app.use(healthRoutes(db).routes());
  const interactions = interactionRoutes({ provider, accounts, csrf: csrfProtection(deps.serverSecret), page: { organization: config.auth.server.organization_name }, log, loginPerMinute: config.auth.rate_limit.login_per_minute });
  app.use(interactions.routes());
  app.use(interactions.allowedMethods());
  app.use(jwtUserinfo({ config, db, keys: deps.keys }));

  const handleWithProvider = provider.callback();
  const verifier = createVerifier({
    issuer: config.runtime.issuer,
    audience: config.auth.resources[0]!.identifier,
    keySet: createLocalJWKSet({ keys: publicKeys(deps.keys) }),
  });
  const account = authRoutes({ db, config, provider, providerHandler: handleWithProvider, verifier });
  app.use(account.routes());
  app.use(account.allowedMethods());

  app.use(async (ctx) => {
    ctx.respond = false;
    await handleWithProvider(ctx.req, ctx.res);
  });
  return app;
}
