import type { Context } from 'koa';
import { InvalidRequestError } from './json-body.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads one query parameter as text (at most once, bounded), or undefined. */
export function textParam(ctx: Context, name: string, max = 200): string | undefined {
  const value = ctx.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > max || value.includes('\u0000')) throw new InvalidRequestError(`query parameter "${name}" must be given once, as text of at most ${max} characters`);
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
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidRequestError(`query parameter "${name}" must be an ISO date`);
  return date;
}

export function uuidParam(ctx: Context, name: string): string | undefined {
  const value = textParam(ctx, name, 36);
  if (value !== undefined && !UUID.test(value)) throw new InvalidRequestError(`query parameter "${name}" must be a UUID`);
  return value;
}

export function isUuid(value: string | undefined): value is string {
  return value !== undefined && UUID.test(value);
}
