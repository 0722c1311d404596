import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Device tokens (OWASP's "device cookie"): proof that this browser or client signed in to this account
 * before. A token is `<nonce>.<issued, base36 seconds>.<mac>`, the MAC over the email it was issued for, so
 * it is worth nothing for another account and needs no storage; the nonce names the device's own throttle
 * bucket. Browsers keep tokens in a cookie, JSON clients in whatever they store the refresh token in.
 */
export interface DeviceTokens {
  /** A new token; renewing one keeps its nonce, so the device keeps its bucket. */
  issue(email: string, now: Date, nonce?: string): string;
  /** The first token valid for this email and not older than maxAgeDays, if any. */
  recognise(email: string, tokens: readonly string[], now: Date, maxAgeDays: number): KnownDevice | undefined;
}

export interface KnownDevice {
  token: string;
  nonce: string;
}

const DAY_MS = 86_400_000;
const TOKEN = /^([A-Za-z0-9_-]{22})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{43})$/;

export function deviceTokens(serverSecret: string): DeviceTokens {
  // a key of its own, so a device token can never be mistaken for anything else the server secret signs
  const key = createHmac('sha256', serverSecret).update('auth-connect device token v1').digest();
  const mac = (email: string, nonce: string, issued: string) => createHmac('sha256', key).update(`${email}\0${nonce}\0${issued}`).digest();
  return {
    issue(email, now, nonce = randomBytes(16).toString('base64url')) {
      const issued = Math.floor(now.getTime() / 1000).toString(36);
      return `${nonce}.${issued}.${mac(email, nonce, issued).toString('base64url')}`;
    },
    recognise(email, tokens, now, maxAgeDays) {
      for (const token of tokens) {
        const match = TOKEN.exec(token);
        if (!match) continue;
        const [, nonce, issued, signature] = match as unknown as [string, string, string, string];
        const age = now.getTime() - parseInt(issued, 36) * 1000;
        if (!(age >= -60_000 && age <= maxAgeDays * DAY_MS)) continue;
        if (timingSafeEqual(Buffer.from(signature, 'base64url'), mac(email, nonce, issued))) return { token, nonce };
      }
      return undefined;
    },
  };
}
