import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';
import { AuthConnectError } from '../errors.js';

const LIMIT = '16kb';

export class InvalidRequestError extends AuthConnectError {
  constructor(message: string) {
    super('INVALID_REQUEST', message);
    this.name = 'InvalidRequestError';
  }
}

/**
 * Parses JSON bodies of at most 16 KiB. Malformed JSON, another content type or an oversized body is
 * 400 INVALID_REQUEST, decided before any work is done on it.
 */
export function jsonBody(): Middleware {
  const parse = bodyParser({
    enableTypes: ['json'],
    jsonLimit: LIMIT,
    encoding: 'utf-8',
    onError: (error) => {
      const tooLarge = (error as { status?: number }).status === 413 || /too large/i.test(error.message);
      throw new InvalidRequestError(tooLarge ? `the request body is larger than ${LIMIT}` : 'the request body is not valid JSON');
    },
  });
  return async (ctx, next) => {
    const hasBody = ctx.request.length > 0 || ctx.get('transfer-encoding') !== '';
    if (hasBody && !ctx.is('application/json')) throw new InvalidRequestError('send a JSON body with Content-Type: application/json');
    const length = ctx.request.length;
    if (length !== undefined && length > 16 * 1024) throw new InvalidRequestError(`the request body is larger than ${LIMIT}`);
    await parse(ctx, next);
  };
}
