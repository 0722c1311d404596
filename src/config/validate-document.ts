import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { ConfigError } from '../errors.js';
import { schemaDir } from '../paths.js';

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: false, verbose: true, useDefaults: true, strict: true, allowUnionTypes: true }));
const compiled = new Map<string, ValidateFunction>();

export type SchemaName = 'auth_config' | 'roles' | 'clients';

function validatorFor(name: SchemaName): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    const schema = JSON.parse(readFileSync(path.join(schemaDir, `${name}.schema.json`), 'utf8')) as object;
    validate = ajv.compile(schema);
    compiled.set(name, validate);
  }
  return validate;
}

/**
 * Validates `document` in place (filling defaults) and throws a ConfigError whose one line names the
 * source, the field and what is expected. `describeSource` lets a field that came from an environment
 * variable be reported under that variable's name.
 */
export function validateDocument<T>(name: SchemaName, document: unknown, describeSource: (field: string) => string): T {
  const validate = validatorFor(name);
  if (!validate(document)) {
    const error = validate.errors![0]!;
    const field = fieldOf(error);
    throw new ConfigError(`${describeSource(field)}: ${explain(error, field)}`);
  }
  return document as T;
}

function fieldOf(error: ErrorObject): string {
  const parts = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'additionalProperties') parts.push(String(error.params.additionalProperty));
  if (error.keyword === 'required') parts.push(String(error.params.missingProperty));
  return parts.reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

function explain(error: ErrorObject, field: string): string {
  const where = field || '(top level)';
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const allowed = Object.keys((error.parentSchema as { properties?: object }).properties ?? {}).filter((k) => k !== '$schema');
      return `unknown key "${where}"; allowed here: ${allowed.join(', ')}`;
    }
    case 'required':
      return `"${where}" is required`;
    case 'enum':
      return `${where} must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')} (got ${show(error.data)})`;
    case 'type':
      return `${where} must be ${article(String(p.type))} (got ${show(error.data)})`;
    case 'minimum':
    case 'maximum':
      return `${where} must be ${error.keyword === 'minimum' ? 'at least' : 'at most'} ${String(p.limit)} (got ${show(error.data)})`;
    case 'minLength':
      return `${where} must not be empty`;
    case 'maxLength':
      return `${where} must be at most ${String(p.limit)} characters`;
    case 'pattern':
      return `${where} has an invalid format (got ${show(error.data)}); ${describePattern(error)}`;
    case 'format':
      return `${where} must be a valid ${String(p.format)} (got ${show(error.data)})`;
    case 'uniqueItems':
      return `${where} lists the same value twice`;
    default:
      return `${where} ${error.message ?? 'is invalid'}`;
  }
}

function describePattern(error: ErrorObject): string {
  const description = (error.parentSchema as { description?: string }).description;
  return description ?? `expected to match ${String((error.params as { pattern: string }).pattern)}`;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? 'nothing' : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
