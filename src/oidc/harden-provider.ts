import type Provider from 'oidc-provider';
import type { Config } from '../config/types.js';
import { discoveryCacheControl } from '../http/discovery-cache-control.js';
import { pinToIssuer } from '../http/pin-to-issuer.js';
import { pageContext } from '../interactions/render-page.js';
import { notFoundPage } from '../pages/not-found-page.js';
import { deviceFormWithoutSession } from './device-form-without-session.js';
import { dropUncheckedCors } from './drop-unchecked-cors.js';

/** What the server adds around oidc-provider's request handling: URLs from the issuer, cache headers, CORS only where allowed, a device code form without its session sent back, a 404 page. */
export function hardenProvider(provider: Provider, config: Config): Provider {
  pinToIssuer(provider, config.runtime.issuer);
  provider.use(discoveryCacheControl(config.auth.signing_keys.prepublish_seconds));
  provider.use(dropUncheckedCors);
  provider.use(deviceFormWithoutSession(provider));
  provider.use(notFoundPage(pageContext(config.auth)));
  return provider;
}
