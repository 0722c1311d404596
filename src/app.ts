import Koa from 'koa';
import type { Knex } from 'knex';
import type { AccountsContext } from './accounts/accounts-service.js';
import type { Config } from './config/types.js';
import { errorMiddleware } from './http/error-middleware.js';
import { healthRoutes } from './http/health-routes.js';
import { pinToIssuer } from './http/pin-to-issuer.js';
import type { Metrics } from './http/metrics.js';
import { securityHeaders } from './http/security-headers.js';
import { staticAssets } from './http/static-assets.js';
import { csrfProtection } from './interactions/csrf.js';
import { interactionRoutes } from './interactions/interaction-routes.js';
import { createLoginThrottle } from './login-throttle/login-throttle.js';
import type { KeyRing } from './keys/key-ring.js';
import type { Logger } from './logger.js';
import { jwtUserinfo } from './oidc/jwt-userinfo.js';
import { registeredClientFinder } from './oidc/registered-client-finder.js';
import { jsonApiRouters } from './api/json-api.js';
import { createVerifier } from './resource-server/index.js';
import type { ProviderHolder } from './oidc/provider-holder.js';

export interface AppContext {
  config: Config;
  db: Knex;
  log: Logger;
  providers: ProviderHolder;
  keyRing: KeyRing;
  metrics: Metrics;
  cookieKeys: string[];
  serverSecret: string;
}

/**
 * One Koa app: security headers and error mapping, then our routes (health, pages, userinfo for JWTs),
 * then oidc-provider for everything else. The provider handles its requests with its own context and
 * cookie keys, which are the app's keys too, so interaction cookies are found on both sides.
 */
export function createApp(deps: AppContext): Koa {
  const { config, db, log, providers } = deps;
  const app = new Koa({ proxy: config.auth.server.trust_proxy });
  app.keys = deps.cookieKeys;
  pinToIssuer(app, config.runtime.issuer);
  app.silent = true;
  const accounts: AccountsContext = { db, config };
  // one throttle for every password check: pages, account API, change-password
  const throttle = createLoginThrottle({ db, settings: config.auth.login_throttle, serverSecret: deps.serverSecret });

  app.use(deps.metrics.middleware);
  // the token endpoint is the hot path and none of our routes or pages apply to it: straight to the provider
  app.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== '/token') return next();
    ctx.respond = false;
    await providers.handle(ctx.req, ctx.res);
  });
  app.use(securityHeaders(config.runtime.issuer.startsWith('https:')));
  app.use(errorMiddleware(log));
  app.use(staticAssets(['app.css']));
  const algorithm = config.auth.jwt.algorithm;
  const keysUsable = () => {
    if (!deps.keyRing.view().keys.some((key) => key.alg === algorithm)) throw new Error(`no ${algorithm} signing key`);
  };
  app.use(healthRoutes(db, [{ name: 'keys', check: keysUsable }]).routes());
  const interactions = interactionRoutes({ provider: providers.current, accounts, throttle, csrf: csrfProtection(deps.serverSecret), page: { organization: config.auth.server.organization_name }, log, loginPerMinute: config.auth.rate_limit.login_per_minute });
  app.use(interactions.routes());
  app.use(interactions.allowedMethods());
  app.use(jwtUserinfo({ config, db, keys: deps.keyRing.verificationKeys }));

  const verifier = createVerifier({ issuer: config.runtime.issuer, audience: config.auth.resources[0]!.identifier, keySet: deps.keyRing.verificationKeys });
  const findClient = registeredClientFinder(providers.current);
  const api = jsonApiRouters({ db, config, throttle, provider: providers.current, providerHandler: providers.handle, verifier, findClient, onKeysRotated: () => deps.keyRing.refresh() });
  for (const router of api) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }

  app.use(async (ctx) => {
    ctx.respond = false;
    await providers.handle(ctx.req, ctx.res);
  });
  return app;
}
