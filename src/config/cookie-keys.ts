import { createHmac } from 'node:crypto';

/**
 * Cookie signing keys derived from the server secret, so every instance with the same JWT_SECRET signs and
 * verifies the same cookies, and the secret itself never signs anything directly.
 */
export function deriveCookieKeys(serverSecret: string): string[] {
  return [createHmac('sha256', serverSecret).update('auth-connect cookie signing v1').digest('base64url')];
}
