import { Ajv, type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import type { Context } from 'koa';
import { parseTimestamp } from '../input/timestamp.js';
import { isUuid } from '../input/uuid.js';
import { InvalidRequestError } from './json-body.js';

/** Bodies are JSON: their types must be right as sent. */
const bodies = new Ajv({ allErrors: false, strict: true, coerceTypes: false });
/**
 * Query strings and path parameters are text: whole numbers and booleans are read from it by `fromText`
 * (ajv's own coercion takes 1e309 for a whole number: Infinity), defaults filled in, unknown query parameters
 * ignored (as caches and proxies add some). A parameter given twice is an array and so fails its scalar type.
 */
const texts = new Ajv({ allErrors: false, strict: true, coerceTypes: false, useDefaults: true, removeAdditional: 'all' });
texts.addFormat('uuid', isUuid);
texts.addFormat('date-time', (value: string) => parseTimestamp(value) !== undefined);

const WHOLE_NUMBER = /^(0|[1-9]\d{0,14})$/;

/** Reads the schema's integer and boolean properties from their text; anything else stays text, for ajv to refuse. */
function fromText(schema: object | undefined): (values: Record<string, unknown>) => Record<string, unknown> {
  const properties = Object.entries((schema as { properties?: Record<string, { type?: string }> } | undefined)?.properties ?? {});
  return (values) => {
    const read = { ...values };
    for (const [name, { type }] of properties) {
      const value = read[name];
      if (typeof value !== 'string') continue;
      if (type === 'integer' && WHOLE_NUMBER.test(value)) read[name] = Number(value);
      if (type === 'boolean' && (value === 'true' || value === 'false')) read[name] = value === 'true';
    }
    return read;
  };
}

export interface RequestSchemas<P, Q, B> {
  params?: JSONSchemaType<P>;
  query?: JSONSchemaType<Q>;
  body?: JSONSchemaType<B>;
}

export interface GuardedRequest<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

type None = Record<string, never>;

/**
 * One check for everything a route reads from a request, from the same JSON Schemas the OpenAPI
 * document shows: path parameters, query string and JSON body. A value that does not fit is 400
 * INVALID_REQUEST with a sentence naming where it was and what is expected.
 */
export function guard<P = None, Q = None, B = undefined>(schemas: RequestSchemas<P, Q, B>): (ctx: Context) => GuardedRequest<P, Q, B> {
  let validators: Validators<P, Q, B> | undefined;
  return (ctx) => {
    // compiled at the route's first request, not when the module loads: a process compiles only the schemas of
    // the routes it serves (compiling all of them was about a tenth of a server start's CPU)
    validators ??= compileValidators(schemas);
    const { params, query, body, paramsFromText, queryFromText } = validators;
    return {
      params: check(params, paramsFromText({ ...ctx.params }), 'path parameter') as P,
      query: check(query, queryFromText({ ...ctx.query }), 'query parameter') as Q,
      body: check(body, (ctx.request as { body?: unknown }).body, 'field') as B,
    };
  };
}

interface Validators<P, Q, B> {
  params: ValidateFunction<P> | undefined;
  query: ValidateFunction<Q> | undefined;
  body: ValidateFunction<B> | undefined;
  paramsFromText: (values: Record<string, unknown>) => Record<string, unknown>;
  queryFromText: (values: Record<string, unknown>) => Record<string, unknown>;
}

function compileValidators<P, Q, B>(schemas: RequestSchemas<P, Q, B>): Validators<P, Q, B> {
  return {
    params: schemas.params && texts.compile(schemas.params),
    query: schemas.query && texts.compile(schemas.query),
    body: schemas.body && bodies.compile(schemas.body),
    paramsFromText: fromText(schemas.params),
    queryFromText: fromText(schemas.query),
  };
}

function check<T>(validate: ValidateFunction<T> | undefined, value: unknown, place: Place): T | undefined {
  if (!validate) return undefined;
  if (!validate(value)) throw new InvalidRequestError(describe(validate.errors?.[0], place));
  return value;
}

type Place = 'path parameter' | 'query parameter' | 'field';

function describe(error: ErrorObject | undefined, place: Place): string {
  if (!error) return 'the request is not valid';
  return place === 'field' ? describeField(error) : describeText(error, place);
}

function describeField(error: ErrorObject): string {
  const field = pathOf(error);
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `"${String(p.missingProperty)}" is required`;
    case 'additionalProperties':
      return `unknown field "${String(p.additionalProperty)}"`;
    case 'type':
      return field
        ? `"${field}" must be ${String(p.type) === 'integer' ? 'a whole number' : `a ${String(p.type)}`}`
        : `the body must be a JSON ${String(p.type)}`;
    case 'maxLength':
    case 'minLength':
    case 'maxItems':
    case 'minimum':
    case 'maximum':
      return `"${field}" ${error.message ?? 'is out of range'}`;
    default:
      return `"${field || 'body'}" ${error.message ?? 'is invalid'}`;
  }
}

function describeText(error: ErrorObject, place: Place): string {
  const p = error.params as Record<string, unknown>;
  const name = `${place} "${pathOf(error) || String(p.missingProperty)}"`;
  switch (error.keyword) {
    case 'required':
      return `${name} is required`;
    case 'type':
      return `${name} must be given once, as ${TYPES[String(p.type)] ?? 'text'}`;
    case 'format':
      return `${name} must be ${FORMATS[String(p.format)] ?? `in the format ${String(p.format)}`}`;
    case 'enum':
      return `${name} must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'maxLength':
      return `${name} must be at most ${String(p.limit)} characters`;
    case 'minimum':
      return `${name} must be at least ${String(p.limit)}`;
    case 'maximum':
      return `${name} must be at most ${String(p.limit)}`;
    default:
      return `${name} ${error.message ?? 'is not valid'}`;
  }
}

const pathOf = (error: ErrorObject) => error.instancePath.replace(/^\//, '').replace(/\//g, '.');

const TYPES: Record<string, string> = { integer: 'a whole number', number: 'a number', boolean: 'true or false', string: 'text' };

const FORMATS: Record<string, string> = {
  uuid: 'a UUID',
  'date-time': 'an ISO 8601 date or date-time with a year from 0001 to 9999, e.g. 2025-01-31T12:00:00Z',
};
