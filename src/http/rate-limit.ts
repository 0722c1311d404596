import type { Middleware } from 'koa';

interface Window {
  count: number;
  resetAt: number;
}

const MAX_TRACKED = 50_000;

/**
 * At most `perMinute` requests per client IP in a fixed one-minute window; beyond it, 429 with
 * Retry-After. In memory: each instance counts its own requests (a bound per instance, not a global one).
 */
export function rateLimit(perMinute: number, respond: (retryAfterSeconds: number) => { status: number; body: unknown }): Middleware {
  const windows = new Map<string, Window>();
  return async (ctx, next) => {
    const now = Date.now();
    if (windows.size > MAX_TRACKED) for (const [key, w] of windows) if (w.resetAt <= now) windows.delete(key);
    let window = windows.get(ctx.ip);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + 60_000 };
      windows.set(ctx.ip, window);
    }
    window.count++;
    if (window.count > perMinute) {
      const retryAfter = Math.max(1, Math.ceil((window.resetAt - now) / 1000));
      const { status, body } = respond(retryAfter);
      ctx.status = status;
      ctx.set('Retry-After', String(retryAfter));
      ctx.body = body;
      return;
    }
    await next();
  };
}
