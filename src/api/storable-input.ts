import type { Middleware } from 'koa';
import { findUnstorableText, isStorableText } from '../input/storable-text.js';
import { InvalidRequestError } from './json-body.js';

/**
 * 400 INVALID_REQUEST for a path, query or parsed JSON body carrying text Postgres cannot store (NUL
 * bytes, lone surrogates), before any handler turns it into a query. Mount after jsonBody().
 */
export function refuseUnstorableInput(): Middleware {
  return async (ctx, next) => {
    const where =
      (isStorableText(decodedPath(ctx.path)) ? undefined : 'the path') ??
      findUnstorableText(ctx.query, 'a query parameter') ??
      findUnstorableText((ctx.request as { body?: unknown }).body, 'the body');
    if (where) throw new InvalidRequestError(`${where} contains a NUL byte or an unpaired surrogate, which cannot be stored`);
    await next();
  };
}

// the router decodes each path parameter like this, so this sees what handlers would see
function decodedPath(path: string): string {
  return path
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    })
    .join('/');
}
