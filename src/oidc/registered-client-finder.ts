import type Provider from 'oidc-provider';
import type { RegisteredClient } from '../clients/client-policy.js';
import { AuthConnectError } from '../errors.js';

/**
 * Looks a client up as oidc-provider does (clients.json and the built-in client in memory, the rest through
 * the client cache), for our own routes that decide by the client a token was issued to.
 */
export function registeredClientFinder(provider: () => Provider) {
  return async (clientId: string): Promise<RegisteredClient | undefined> => {
    try {
      return (await provider().Client.find(clientId)) ?? undefined;
    } catch (error) {
      // the adapter maps a database outage to the provider's 503; our JSON routes answer it the same way
      if ((error as { status?: number }).status === 503)
        throw new AuthConnectError('SERVICE_UNAVAILABLE', 'the service is temporarily unavailable; try again shortly');
      throw error;
    }
  };
}
