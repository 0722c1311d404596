import { errors } from 'oidc-provider';
import { isDatabaseUnavailable } from '../db/database-errors.js';

/**
 * Turns "the database cannot be reached" into oidc-provider's temporarily_unavailable with status 503, so
 * its endpoints answer 503 (not a 500 server_error) during an outage. Other errors pass unchanged.
 */
export function asProviderError(error: unknown): unknown {
  if (!isDatabaseUnavailable(error)) return error;
  const unavailable = new errors.TemporarilyUnavailable('the service is temporarily unavailable; try again shortly');
  Object.assign(unavailable, { status: 503, statusCode: 503, expose: true });
  return unavailable;
}

/** Runs `work`, mapping database outages as above. */
export async function withProviderErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asProviderError(error);
  }
}
