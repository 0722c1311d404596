import type { Knex } from 'knex';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { clientMetadataFromConfig, EXTRA_CLIENT_METADATA } from '../clients/client-metadata.js';
import { isFirstParty } from '../clients/client-policy.js';
import { clientSecretMatches } from '../clients/client-secret.js';
import type { Config } from '../config/types.js';
import { LOCALES } from '../i18n/index.js';
import { devicePages } from '../interactions/device-pages.js';
import { providerPages } from '../interactions/provider-pages.js';
import { pageContext } from '../interactions/render-page.js';
import type { PrivateKeySet } from '../keys/key-set-file.js';
import type { Logger } from '../logger.js';
import type { ApiKeyUsage } from '../apikeys/api-key-usage.js';
import { ACR_MFA, ACR_PASSWORD } from '../mfa/mfa-policy.js';
import { endSessions } from '../sessions/sessions-service.js';
import { accountApiClient } from './account-api-client.js';
import { accountPageClient } from './account-page-client.js';
import { consoleClient } from './console-client.js';
import { registerApiKeyExchange } from './api-key-grant.js';
import { ClientAdapter } from './client-adapter.js';
import { AuthorizationCodeAdapter } from './code-redemption.js';
import { allowClientOrigin } from './client-cors.js';
import { accountFinder } from './find-account.js';
import { loadExistingGrant } from './first-party-grant.js';
import { interactionPolicyWithAccountCheck } from './interaction-policy.js';
import { KnexAdapter } from './knex-adapter.js';
import { lifetimes } from './lifetimes.js';
import { issueComputedSuccessors, RefreshTokenAdapter } from './refresh-retry.js';
import { resourceIndicators } from './resource-servers.js';
import { successorIdFrom } from './successor-id.js';
import { introspectionAllowed, revocationAllowed } from './token-access-policy.js';
import { alignJwtScope, tokenClaims } from './token-claims.js';

export interface ProviderDeps {
  config: Config;
  db: Knex;
  keys: PrivateKeySet;
  cookieKeys: string[];
  /** seals what must be stored but not in clear (a rotated refresh token's successor) */
  serverSecret: string;
  log: Logger;
  apiKeyUsage: ApiKeyUsage;
}

const ASYMMETRIC_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;

/** oidc-provider configured as our token server; docs/oidc-provider-hooks.md says why each option and hook is set. */
export function createProvider(deps: ProviderDeps): Provider {
  const { config, db, log } = deps;
  const { auth, roles } = config;
  const pages = providerPages(pageContext(auth));
  const device = devicePages(pageContext(auth));
  // a revoked grant (replay, revocation endpoint, logout) ends the user session it belongs to
  const endSessionOf = (grantId: string, reason: string) =>
    endSessions({ db, config }, { kind: 'grant', grantId }, reason).catch((error) =>
      log.warn({ err: error, grantId }, 'could not end the session of a revoked grant'),
    );
  const onReplay = (grantId: string) => {
    log.warn({ grantId }, 'a code or refresh token was used twice; its grant is revoked');
    void endSessionOf(grantId, 'token_replay');
  };

  // a retried refresh gets the successor already issued (refresh-retry.ts); at 0, every reuse revokes
  const onRetry = (grantId: string | undefined) =>
    log.info({ grantId }, 'a rotated refresh token was presented again within the retry window; answered with the successor already issued');
  const refreshTokens = new RefreshTokenAdapter(db, {
    graceSeconds: auth.tokens.refresh_token_reuse_grace_seconds,
    sessionTimeoutMinutes: auth.session.session_timeout_minutes,
    successorId: successorIdFrom(deps.serverSecret),
    onReplay,
    onRetry,
  });

  const authorizationCodes = new AuthorizationCodeAdapter({ db, config }, onReplay);

  const configuration: Configuration = {
    adapter: (model: string) => {
      if (model === 'Client') return new ClientAdapter(db, { probeTimeoutMs: auth.background_work.notification_probe_seconds * 1000 });
      if (model === 'RefreshToken') return refreshTokens;
      if (model === 'AuthorizationCode') return authorizationCodes;
      return new KnexAdapter(db, model, onReplay);
    },
    clients: [
      accountApiClient,
      accountPageClient(config.runtime.issuer),
      consoleClient(config.runtime.issuer),
      ...config.clients.map(clientMetadataFromConfig),
    ],
    jwks: deps.keys as Configuration['jwks'],
    findAccount: accountFinder(db, config),
    // acr and amr: how the user signed in, in every ID token (README, Two-factor and passkeys)
    claims: { openid: ['sub', 'acr', 'amr'], email: ['email', 'email_verified'], roles: ['roles', 'permissions'] },
    scopes: ['openid', 'offline_access', 'email', 'roles'],
    // a password alone, or two factors (a passkey with user verification counts as two): README, Two-factor and passkeys
    acrValues: [ACR_PASSWORD, ACR_MFA],
    // the languages of our pages, which a request picks with ui_locales (src/i18n)
    discovery: { ui_locales_supported: [...LOCALES] },
    responseTypes: ['code'],
    pkce: { required: () => true },
    // client_secret_jwt would use the stored secret (a hash here) as an HMAC key: off, like every HS* algorithm
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: {
      idTokenSigningAlgValues: [...ASYMMETRIC_ALGORITHMS],
      clientAuthSigningAlgValues: [...ASYMMETRIC_ALGORITHMS],
      requestObjectSigningAlgValues: [...ASYMMETRIC_ALGORITHMS],
      userinfoSigningAlgValues: [...ASYMMETRIC_ALGORITHMS],
      introspectionSigningAlgValues: [...ASYMMETRIC_ALGORITHMS],
      authorizationSigningAlgValues: [...ASYMMETRIC_ALGORITHMS],
    },
    extraClientMetadata: {
      properties: [...EXTRA_CLIENT_METADATA],
      validator(_ctx, key, value, metadata) {
        if (key === 'first_party') metadata.first_party = value === true;
        if (key === 'permissions') metadata.permissions = Array.isArray(value) ? value.filter((p): p is string => typeof p === 'string') : [];
        if (key === 'resource_server') metadata.resource_server = value === true;
      },
    },
    clientDefaults: { id_token_signed_response_alg: 'RS256', grant_types: ['authorization_code'], response_types: ['code'] },
    allowOmittingSingleRegisteredRedirectUri: false,
    clientBasedCORS: allowClientOrigin,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: introspectionAllowed as never },
      revocation: { enabled: true, allowedPolicy: revocationAllowed as never },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource: pages.logoutSource, postLogoutSuccessSource: pages.postLogoutSuccessSource },
      resourceIndicators: resourceIndicators({ auth, roles, db }),
      // RFC 8628, for devices without a browser (CLIs, TVs): the user enters the code on our pages and signs in there
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        userCodeInputSource: device.userCodeInputSource as never,
        userCodeConfirmSource: device.userCodeConfirmSource as never,
        successSource: device.successSource as never,
      },
      // RFC 9126 and RFC 9449 are on by oidc-provider's defaults; stated here so that they stay on
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
      dPoP: { enabled: true },
    },
    extraTokenClaims: tokenClaims(db, roles) as Configuration['extraTokenClaims'],
    formats: { customizers: { jwt: alignJwtScope as NonNullable<NonNullable<Configuration['formats']>['customizers']>['jwt'] } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy: interactionPolicyWithAccountCheck() },
    cookies: {
      keys: deps.cookieKeys,
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    ttl: lifetimes(auth) as Configuration['ttl'],
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && (code.scopes.has('offline_access') || isFirstParty(client)),
    // refresh tokens are bound to our own sessions (and revoked with them), not to the provider's cookie session
    expiresWithSession: async () => false,
    loadExistingGrant: loadExistingGrant as Configuration['loadExistingGrant'],
    renderError: pages.renderError as Configuration['renderError'],
  };

  const provider = new Provider(config.runtime.issuer, configuration);
  provider.proxy = auth.server.trust_proxy;
  // client secrets are stored as SHA-256 hashes (clients/client-secret.ts); oidc-provider's intended hook
  provider.Client.prototype.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, actual: string) {
    return clientSecretMatches(this.clientSecret, actual);
  };
  issueComputedSuccessors(provider, refreshTokens);
  provider.use(async (ctx: KoaContextWithOIDC, next) => {
    await next();
    if (ctx.status === 503) ctx.set('Retry-After', '5');
  });
  provider.on('grant.revoked', (_ctx: unknown, grantId: string) => void endSessionOf(grantId, 'revoked'));
  registerApiKeyExchange(provider, { db, config, usage: deps.apiKeyUsage });
  provider.on('server_error', (ctx: KoaContextWithOIDC, error: Error) => log.error({ err: error, path: ctx.path }, 'oidc-provider server error'));
  return provider;
}
