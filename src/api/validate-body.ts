import { Ajv, type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import type { Context } from 'koa';
import { InvalidRequestError } from './json-body.js';

const ajv = new Ajv({ allErrors: false, strict: true, coerceTypes: false });

/**
 * A validator for a JSON body: wrong types, missing fields and unknown fields are 400 INVALID_REQUEST
 * with a sentence naming the field.
 */
export function bodyValidator<T>(schema: JSONSchemaType<T>): (ctx: Context) => T {
  const validate: ValidateFunction<T> = ajv.compile(schema);
  return (ctx) => {
    const body = (ctx.request as { body?: unknown }).body;
    if (!validate(body)) throw new InvalidRequestError(describe(validate.errors![0]!));
    return body;
  };
}

function describe(error: ErrorObject): string {
  const field = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `"${String(p.missingProperty)}" is required`;
    case 'additionalProperties':
      return `unknown field "${String(p.additionalProperty)}"`;
    case 'type':
      return field ? `"${field}" must be ${String(p.type) === 'integer' ? 'a whole number' : `a ${String(p.type)}`}` : `the body must be a JSON ${String(p.type)}`;
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
