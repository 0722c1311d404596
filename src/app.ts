import Koa from 'koa';
import type { Knex } from 'knex';
import type { AccountsContext } from './accounts/accounts-service.js';
import type { Config } from './config/types.js';
import { apiJsonFallbacks, endOfApi } from './http/api-fallbacks.js';
import { errorMiddleware } from './http/error-middleware.js';
import { healthRoutes } from './http/health-routes.js';
import { closeConnectionsWhileDraining, type Draining } from './http/draining.js';
import { pinToIssuer } from './http/pin-to-issuer.js';
import { rateLimiters } from './http/rate-limiters.js';
import type { Metrics } from './http/metrics.js';
import { securityHeaders } from './http/security-headers.js';
import { staticAssets } from './http/static-assets.js';
import { webauthnBrowserModule } from './http/webauthn-browser-module.js';
import { ACCOUNT_PAGE_CSRF, CONSOLE_CSRF, csrfProtection, LINK_PAGES_CSRF } from './interactions/csrf.js';
import { accountPageRoutes } from './account-page/account-page-routes.js';
import { consoleRoutes } from './console/console-routes.js';
import { interactionRoutes } from './interactions/interaction-routes.js';
import { continueAfterFirstFactor, secondFactorRoutes } from './interactions/second-factor-routes.js';
import type { MfaContext } from './mfa/second-factors-service.js';
import { relyingPartyOf } from './mfa/passkeys-service.js';
import { passkeyRoutes } from './interactions/passkey-routes.js';
import { totpSealingKey } from './mfa/totp-secret-seal.js';
import { pageContext } from './interactions/render-page.js';
import { userCodeEntryLimit } from './interactions/user-code-entry-limit.js';
import { createLoginThrottle } from './login-throttle/login-throttle.js';
import type { KeyRing } from './keys/key-ring.js';
import type { KeyEncryptionKey } from './keys/key-encryption.js';
import type { Logger } from './logger.js';
import { formPostAsGet } from './oidc/form-post-as-get.js';
import { jwtUserinfo } from './oidc/jwt-userinfo.js';
import { landingPage } from './pages/landing-page.js';
import { registeredClientFinder } from './oidc/registered-client-finder.js';
import { jsonApiRouters } from './api/json-api.js';
import { createVerifier } from '@auth-connect/resource-server';
import type { ProviderHolder } from './oidc/provider-holder.js';
import { providerHandoff } from './oidc/provider-handoff.js';
import type { Outbox } from './mail/index.js';
import type { MailingContext } from './email-links/mailing-context.js';
import { keyBudget } from './http/rate-limit.js';
import { emailLinkPages } from './interactions/email-link-pages.js';
import { newDeviceNotice, secondFactorNotice } from './email-links/sign-in-notices.js';

export interface AppContext {
  config: Config;
  db: Knex;
  /** Which database db is: per-address limits are counted in Postgres, in memory on the embedded one. */
  engine: 'postgres' | 'embedded';
  log: Logger;
  providers: ProviderHolder;
  keyRing: KeyRing;
  metrics: Metrics;
  cookieKeys: string[];
  serverSecret: string;
  /** Seals new signing keys (a rotation through the admin API). */
  keyEncryptionKey: KeyEncryptionKey;
  /** Set on SIGTERM (src/runtime/graceful-shutdown.ts): /readyz says 503 and answers close their connection. */
  draining?: Draining;
  /** Where the mails the routes cause are queued (src/mail/: the worker of each instance sends them). */
  outbox: Outbox;
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
  // one throttle for every password check: pages, account API, change-password
  const throttle = createLoginThrottle({ db, settings: config.auth.login_throttle, serverSecret: deps.serverSecret });
  const limiters = rateLimiters({ engine: deps.engine, db });
  const mailing: MailingContext = {
    db,
    config,
    outbox: deps.outbox,
    linkBudget: keyBudget(limiters.perHour('mail_links_per_email', config.auth.rate_limit.mails_per_email_per_hour)),
  };
  const notifySecondFactor = secondFactorNotice(mailing);
  const accounts: AccountsContext = { db, config, onNewDeviceSignIn: newDeviceNotice(mailing), onSecondFactorChange: notifySecondFactor };

  const toProvider = providerHandoff(providers, pageContext(config.auth));

  if (deps.draining) app.use(closeConnectionsWhileDraining(deps.draining));
  app.use(deps.metrics.middleware);
  // the token endpoint is the hot path and none of our routes or pages apply to it: straight to the provider
  app.use(async (ctx, next) => (ctx.method === 'POST' && ctx.path === '/token' ? toProvider(ctx, next) : next()));
  app.use(securityHeaders(config.runtime.issuer.startsWith('https:')));
  app.use(errorMiddleware(log));
  app.use(
    staticAssets(['app.css', 'console.css', 'console.js', 'passkey-login.js', 'passkey-register.js'], { 'simplewebauthn-browser.js': webauthnBrowserModule() }),
  );
  const algorithm = config.auth.jwt.algorithm;
  const keysUsable = () => {
    if (!deps.keyRing.view().keys.some((key) => key.alg === algorithm)) throw new Error(`no ${algorithm} signing key`);
  };
  app.use(healthRoutes(db, [{ name: 'keys', check: keysUsable }], deps.draining).routes());
  const csrf = csrfProtection(deps.serverSecret);
  const mfa: MfaContext = { db, config, totpKey: totpSealingKey(deps.keyEncryptionKey), notify: notifySecondFactor };
  const secondFactor = { provider: providers.current, accounts, mfa, throttle, csrf, page: pageContext(config.auth), log };
  const interactions = interactionRoutes({
    provider: providers.current,
    accounts,
    throttle,
    csrf,
    page: pageContext(config.auth),
    log,
    loginPerMinute: config.auth.rate_limit.login_per_minute,
    rateLimiters: limiters,
    afterFirstFactor: continueAfterFirstFactor(secondFactor),
  });
  app.use(interactions.routes());
  app.use(interactions.allowedMethods());
  const rp = relyingPartyOf(config.runtime.issuer, config.auth.server.organization_name);
  const passkeyPages = passkeyRoutes({
    provider: providers.current,
    mfa,
    rp,
    csrf,
    log,
    page: pageContext(config.auth),
    rateLimiters: limiters,
    loginPerMinute: config.auth.rate_limit.login_per_minute,
  });
  app.use(passkeyPages.routes());
  app.use(passkeyPages.allowedMethods());
  const secondFactorPages = secondFactorRoutes(secondFactor);
  app.use(secondFactorPages.routes());
  app.use(secondFactorPages.allowedMethods());
  const findClient = registeredClientFinder(providers.current);
  const accountPage = accountPageRoutes({
    accounts,
    mfa,
    csrf: csrfProtection(deps.serverSecret, ACCOUNT_PAGE_CSRF),
    page: pageContext(config.auth),
    providerHandler: providers.handle,
    issuer: config.runtime.issuer,
    rp,
    throttle,
    mailing,
    findClient,
  });
  app.use(accountPage.routes());
  app.use(accountPage.allowedMethods());
  const adminConsole = consoleRoutes({
    accounts,
    mailing,
    csrf: csrfProtection(deps.serverSecret, CONSOLE_CSRF),
    page: pageContext(config.auth),
    providerHandler: providers.handle,
    issuer: config.runtime.issuer,
    keyEncryptionKey: deps.keyEncryptionKey,
    onKeysRotated: () => deps.keyRing.refresh(),
  });
  app.use(adminConsole.routes());
  app.use(adminConsole.allowedMethods());
  const linkPages = emailLinkPages({
    mailing,
    page: pageContext(config.auth),
    csrf: csrfProtection(deps.serverSecret, LINK_PAGES_CSRF),
    log,
    rateLimiters: limiters,
  });
  app.use(linkPages.routes());
  app.use(linkPages.allowedMethods());
  app.use(userCodeEntryLimit(limiters, config.auth.rate_limit.user_code_per_minute, pageContext(config.auth)));
  app.use(jwtUserinfo({ config, db, keys: deps.keyRing.verificationKeys }));

  app.use(landingPage(pageContext(config.auth)));
  app.use(apiJsonFallbacks);
  const verifier = createVerifier({ issuer: config.runtime.issuer, audience: config.auth.resources[0]!.identifier, keySet: deps.keyRing.verificationKeys });
  const api = jsonApiRouters({
    db,
    config,
    throttle,
    rateLimiters: limiters,
    provider: providers.current,
    providerHandler: providers.handle,
    verifier,
    findClient,
    keyEncryptionKey: deps.keyEncryptionKey,
    mfa,
    onKeysRotated: () => deps.keyRing.refresh(),
    mailing,
    log,
  });
  for (const router of api) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  // every /api/* router goes above this line: below it, /api/* ends in a JSON 404
  app.use(endOfApi);

  // POST at /auth and /session/end becomes the GET it stands for, before the NUL check and the provider
  app.use(formPostAsGet(pageContext(config.auth)));
  app.use(toProvider);
  return app;
}
