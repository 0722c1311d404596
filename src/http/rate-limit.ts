import { createHash } from 'node:crypto';
import type { Middleware } from 'koa';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { addressKey } from '../login-throttle/address-key.js';

/**
 * At most the limiter's points per client address (IPv6: its /64, as the login throttle counts) and
 * window; beyond it `respond`'s answer with Retry-After. How far the count reaches (every instance, or
 * this one) is the limiter's: see rate-limiters.ts.
 */
export function rateLimit(limiter: RateLimiterAbstract, respond: (retryAfterSeconds: number) => { status: number; body: unknown }): Middleware {
  return async (ctx, next) => {
    const retryAfter = await secondsToWait(limiter, addressKey(ctx.ip));
    if (retryAfter !== undefined) {
      const { status, body } = respond(retryAfter);
      ctx.status = status;
      ctx.set('Retry-After', String(retryAfter));
      ctx.body = body;
      return;
    }
    await next();
  };
}

/**
 * Counts one request: undefined when it may go on, else the seconds until the window ends. Never throws: a
 * store that fails has already fallen back to its insurance limiter, and should that fail too the request
 * goes on unlimited rather than failing here; the rest of the request answers for the database (503) and
 * the login throttle still bounds password guesses.
 */
async function secondsToWait(limiter: RateLimiterAbstract, key: string): Promise<number | undefined> {
  try {
    await limiter.consume(key);
    return undefined;
  } catch (outcome) {
    if (outcome instanceof RateLimiterRes) return Math.max(1, Math.ceil(outcome.msBeforeNext / 1000));
    return undefined;
  }
}

/**
 * A budget per key rather than per address (links mailed to one email address): true while the key has
 * points left. The key is hashed first, so the counters' table holds no addresses. Never throws: a
 * store that fails lets the request go on, as above.
 */
export function keyBudget(limiter: RateLimiterAbstract): (key: string) => Promise<boolean> {
  return async (key) => (await secondsToWait(limiter, createHash('sha256').update(key).digest('base64url'))) === undefined;
}
