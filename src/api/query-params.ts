import type { Context } from 'koa';
import { isStorableText } from '../input/storable-text.js';
import { parseTimestamp } from '../input/timestamp.js';
import { isUuid } from '../input/uuid.js';
import { InvalidRequestError } from './json-body.js';

/** Reads one query parameter as text (at most once, bounded, storable), or undefined. */
export function textParam(ctx: Context, name: string, max = 200): string | undefined {
  const value = ctx.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > max || !isStorableText(value)) throw new InvalidRequestError(`query parameter "${name}" must be given once, as text of at most ${max} characters`);
  return value;
}

export function integerParam(ctx: Context, name: string, fallback: number, min: number, max: number): number {
  const value = textParam(ctx, name, 20);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidRequestError(`query parameter "${name}" must be a whole number from ${min} to ${max}`);
  return n;
}

export function dateParam(ctx: Context, name: string): Date | undefined {
  const value = textParam(ctx, name, 40);
  if (value === undefined) return undefined;
  const date = parseTimestamp(value);
  if (!date) throw new InvalidRequestError(`query parameter "${name}" must be an ISO 8601 date or date-time with a year from 0001 to 9999, e.g. 2025-01-31T12:00:00Z`);
  return date;
}

export function uuidParam(ctx: Context, name: string): string | undefined {
  const value = textParam(ctx, name, 36);
  if (value !== undefined && !isUuid(value)) throw new InvalidRequestError(`query parameter "${name}" must be a UUID`);
  return value;
}
