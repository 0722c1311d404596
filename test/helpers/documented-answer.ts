import assert from 'node:assert/strict';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../src/api/description/openapi-document.js';

type Schema = { allOf?: { properties?: { error: { enum: string[] } } }[] };
type Operation = { responses: Record<string, { content?: { 'application/json': { schema: Schema } } }> };

const document = openApiDocument({ issuer: 'http://localhost', version: '0' });
const paths = document.paths as Record<string, Record<string, Operation>>;

// the document's components under one id, so its "#/components/…" references resolve as in the document
const ajv = new Ajv2020({ strict: false, allErrors: false });
addFormats.default(ajv);
ajv.addSchema({ $id: 'openapi', components: document.components });
const validators = new Map<Schema, ValidateFunction>();
function validatorFor(schema: Schema): ValidateFunction {
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/')) as object);
    validators.set(schema, validate);
  }
  return validate;
}
const templates = Object.keys(paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`),
}));

/**
 * Every answer the tests get from a described route must be one the OpenAPI document promises: its
 * status, its body's shape, and for an error its code under that status. So each API test also checks
 * the document.
 */
export function assertDocumentedAnswer(method: string, path: string, status: number, body: unknown): void {
  const operation = templates
    .filter((t) => t.pattern.test(path))
    .map((t) => paths[t.template]![method.toLowerCase()])
    .find(Boolean);
  if (!operation) return; // not a described route (or a method it does not have): nothing promised
  const response = operation.responses[String(status)];
  assert.ok(response, `${method} ${path} answered ${status}, which the OpenAPI document does not list (${JSON.stringify(body)})`);
  const schema = response.content?.['application/json'].schema;
  if (schema && body !== undefined) {
    const validate = validatorFor(schema);
    assert.ok(
      validate(body),
      `${method} ${path} answered ${status} with a body the OpenAPI document does not describe: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body)}`,
    );
  }
  const code = (body as { error?: unknown } | undefined)?.error;
  if (status >= 400 && typeof code === 'string') {
    const codes = response.content?.['application/json'].schema.allOf?.[1]?.properties?.error.enum ?? [];
    assert.ok(codes.includes(code), `${method} ${path} answered ${status} ${code}, which the OpenAPI document does not list (it lists ${codes.join(', ')})`);
  }
}
