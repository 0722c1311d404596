import type { AccountsContext } from '../accounts/accounts-service.js';
import type { RegisteredClient } from '../clients/client-policy.js';
import type { MailingContext } from '../email-links/mailing-context.js';
import type { CsrfProtection } from '../interactions/csrf.js';
import type { PageContext } from '../interactions/render-page.js';
import type { LoginThrottle } from '../login-throttle/login-throttle.js';
import type { RelyingParty } from '../mfa/passkeys-service.js';
import type { MfaContext } from '../mfa/second-factors-service.js';
import type { RequestHandler } from '../oidc/call-token-endpoint.js';

export interface AccountPageDeps {
  accounts: AccountsContext;
  mfa: MfaContext;
  csrf: CsrfProtection;
  page: PageContext;
  providerHandler: RequestHandler;
  issuer: string;
  /** The WebAuthn relying party: RP ID and origin from the issuer. */
  rp: RelyingParty;
  /** The one throttle of every password check: a changed password or address needs the current password. */
  throttle: LoginThrottle;
  /** The outbox: confirmation links and the notices of a changed password or a new API key. */
  mailing: MailingContext;
  /** Apps by client_id (static or from the database), for their names. */
  findClient: (clientId: string) => Promise<RegisteredClient | undefined>;
}
