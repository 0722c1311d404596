import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { ReadAlong } from '../db/read-along.js';
import type { BucketSettings, LoginThrottleSettings } from '../config/types.js';
import { addressKey } from './address-key.js';
import { deviceTokens } from './device-tokens.js';
import { deleteIdleBuckets, returnTokens, takeTokens, type Bucket, type TakeResult } from './token-buckets-repository.js';

/** Where a password check comes from. */
export interface LoginSource {
  /** The client address as the server sees it (ctx.ip; X-Forwarded-For only with trust_proxy). */
  address: string;
  /** Device tokens the client presented (the browser's device cookie, or device_token in the JSON API). */
  deviceTokens?: readonly string[];
  /**
   * The signed-in session asking (change-password). It exists only because of an earlier successful
   * sign-in, so it counts as a known device of its own.
   */
  sessionId?: string;
}

export type ThrottledCheck<T> =
  | { outcome: 'paused'; retryAfterSeconds: number }
  | { outcome: 'failed' }
  /** deviceToken: hand it back to the client; it replaces replacedDeviceToken, the one it presented. */
  | { outcome: 'passed'; value: T; deviceToken: string; replacedDeviceToken?: string };

export interface LoginThrottle {
  /**
   * Runs `verify` (a password check, undefined when it fails) only when the source may guess for this
   * account now, and counts it. `email` is the account as typed, normalised: unknown accounts are
   * throttled exactly like real ones, so the throttle tells nobody which emails exist. `readAlong` (the
   * account, say) is read in the statement that takes the token, and handed to `verify`; without it, `verify`
   * gets undefined.
   */
  check<T, R = undefined>(
    email: string,
    source: LoginSource,
    verify: (read: R) => Promise<T | undefined>,
    readAlong?: ReadAlong<R>,
  ): Promise<ThrottledCheck<T>>;
  /** Days a device token stays valid (the cookie's max age). */
  readonly knownDeviceDays: number;
}

export interface LoginThrottleDeps {
  db: Knex;
  settings: LoginThrottleSettings;
  serverSecret: string;
  /** Tests move time forward here instead of sleeping. */
  now?: () => Date;
}

const CLEANUP_EVERY_MS = 10 * 60_000;

/**
 * OWASP's device-cookie scheme with token buckets (SECURITY.md has the numbers):
 * - a source the account knows (a valid device token, or the calling session) guesses from its own bucket,
 *   so strangers emptying the account's bucket never keep the real user out;
 * - every other source takes from the account's bucket and its address's bucket at once;
 * - buckets refill continuously, so a paused account comes back by itself and one more miss costs one
 *   token, never a longer lock;
 * - a correct password gives its token back; a wrong one (or a disabled account) keeps it spent.
 */
export function createLoginThrottle(deps: LoginThrottleDeps): LoginThrottle {
  const { db, settings } = deps;
  const now = deps.now ?? (() => new Date());
  const devices = deviceTokens(deps.serverSecret);
  const bucket = (key: string, size: BucketSettings): Bucket => ({ key, burst: size.burst, perHour: size.per_hour });
  // an idle bucket is full again after burst / per_hour hours, and a full bucket is the same as no row
  const refillMs = Math.max(...[settings.per_account, settings.per_address, settings.known_device].map((b) => (b.burst / b.per_hour) * 3_600_000));
  let lastCleanup = 0;

  const cleanUp = (at: Date) => {
    if (at.getTime() - lastCleanup < CLEANUP_EVERY_MS) return;
    lastCleanup = at.getTime();
    deleteIdleBuckets(db, new Date(at.getTime() - refillMs)).catch(() => {
      lastCleanup = 0; // try again next time; a leftover full bucket changes nothing
    });
  };

  return {
    knownDeviceDays: settings.known_device_days,
    async check<T, R>(email: string, source: LoginSource, verify: (read: R) => Promise<T | undefined>, readAlong?: ReadAlong<R>) {
      const at = now();
      cleanUp(at);
      const known = devices.recognise(email, source.deviceTokens ?? [], at, settings.known_device_days);
      const knownKey = known ? `device:${known.nonce}` : source.sessionId ? `session:${source.sessionId}` : undefined;

      const shared = [bucket(`account:${sha256(email)}`, settings.per_account), bucket(`address:${addressKey(source.address)}`, settings.per_address)];
      const first = knownKey ? [bucket(knownKey, settings.known_device)] : shared;
      const firstTake = await takeTokens(db, first, at, readAlong);
      let taken: TakeResult = firstTake;
      let spent = first;
      // a known device that used up its own budget is treated like any unknown one
      if (!taken.taken && first !== shared) {
        taken = await takeTokens(db, shared, at);
        spent = shared;
      }
      if (!taken.taken) return { outcome: 'paused', retryAfterSeconds: taken.retryAfterSeconds };

      let value: Awaited<ReturnType<typeof verify>>;
      try {
        value = await verify(firstTake.read);
      } catch (error) {
        await returnTokens(db, spent).catch(() => {}); // no check happened (overload, database): no guess spent
        throw error;
      }
      if (value === undefined) return { outcome: 'failed' };
      await returnTokens(db, spent);
      return { outcome: 'passed', value, deviceToken: devices.issue(email, at, known?.nonce), replacedDeviceToken: known?.token };
    },
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
