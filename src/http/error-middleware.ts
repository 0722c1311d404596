import type { Middleware } from 'koa';
import { isAuthConnectError } from '../errors.js';
import { isDatabaseUnavailable } from '../db/database-errors.js';
import type { Logger } from '../logger.js';

/**
 * Our routes answer errors as JSON `{ error, message }`: known errors with their code and status, an
 * unreachable database with 503 and Retry-After, anything else with a generic 500 (details only in the log).
 */
export function errorMiddleware(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (isAuthConnectError(error) && (error.status < 500 || (error.status === 503 && error.code !== 'DATABASE_UNAVAILABLE'))) {
        ctx.status = error.status;
        // a 503 always says when to come back
        ctx.set({ ...(error.status === 503 ? { 'Retry-After': '1' } : {}), ...error.headers });
        ctx.body = { error: error.code, message: error.message, ...error.details };
        return;
      }
      if (isDatabaseUnavailable(error)) {
        log.warn({ err: summarise(error), path: ctx.path }, 'database unavailable');
        ctx.status = 503;
        ctx.set('Retry-After', '5');
        ctx.body = { error: 'SERVICE_UNAVAILABLE', message: 'the service is temporarily unavailable; try again shortly' };
        return;
      }
      const { status, expose, message } = error as { status?: number; expose?: boolean; message?: string };
      if (typeof status === 'number' && status >= 400 && status < 500) {
        // a client error raised by Koa or a library (http-errors): its own message when it may be shown
        ctx.status = 400;
        ctx.body = { error: 'INVALID_REQUEST', message: expose && message ? message : 'the request is not valid' };
        return;
      }
      log.error({ err: error, path: ctx.path }, 'unexpected error');
      ctx.status = 500;
      ctx.body = { error: 'INTERNAL_ERROR', message: 'something went wrong on our side' };
    }
  };
}

function summarise(error: unknown): { code?: string; message: string } {
  const e = error as { code?: string; message?: string };
  return { code: e.code, message: e.message ?? String(error) };
}
