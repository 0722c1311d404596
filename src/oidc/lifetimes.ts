import type { AuthConfig } from '../config/types.js';

const MINUTE = 60;
const DAY = 86_400;

/**
 * Token lifetimes from auth_config.json. refresh_token_expire_days bounds a whole refresh chain: a rotated
 * refresh token lives only for what is left of it, and the grant outlives the chain.
 */
export function lifetimes(auth: AuthConfig) {
  const accessToken = auth.jwt.access_token_expire_minutes * MINUTE;
  const chain = auth.jwt.refresh_token_expire_days * DAY;
  return {
    // a resource server may ask for shorter-lived tokens (API-key exchanges do)
    AccessToken: (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) => token.resourceServer?.accessTokenTTL ?? accessToken,
    ClientCredentials: (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) => token.resourceServer?.accessTokenTTL ?? accessToken,
    AuthorizationCode: 60,
    // how long a device's user code can be entered (RFC 8628 expires_in)
    DeviceCode: 600,
    IdToken: 3600,
    Interaction: 3600,
    Session: auth.session.session_timeout_minutes * MINUTE,
    Grant: chain + 3600,
    RefreshToken: (_ctx: unknown, token: { iiat?: number }) => {
      if (!token.iiat) return chain;
      const elapsed = Math.floor(Date.now() / 1000) - token.iiat;
      return Math.max(1, chain - elapsed);
    },
  };
}
