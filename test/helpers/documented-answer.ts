import assert from 'node:assert/strict';
import { openApiDocument } from '../../src/api/description/openapi-document.js';

type Operation = { responses: Record<string, { content?: { 'application/json': { schema: { allOf?: { properties?: { error: { enum: string[] } } }[] } } } }> };

const paths = openApiDocument({ issuer: 'http://localhost', version: '0' }).paths as Record<string, Record<string, Operation>>;
const templates = Object.keys(paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`),
}));

/**
 * Every answer the tests get from a described route must be one the OpenAPI document promises: its
 * status, and for an error its code under that status. So each API test also checks the document.
 */
export function assertDocumentedAnswer(method: string, path: string, status: number, body: unknown): void {
  const operation = templates.filter((t) => t.pattern.test(path)).map((t) => paths[t.template]![method.toLowerCase()]).find(Boolean);
  if (!operation) return; // not a described route (or a method it does not have): nothing promised
  const response = operation.responses[String(status)];
  assert.ok(response, `${method} ${path} answered ${status}, which the OpenAPI document does not list (${JSON.stringify(body)})`);
  const code = (body as { error?: unknown } | undefined)?.error;
  if (status >= 400 && typeof code === 'string') {
    const codes = response.content?.['application/json'].schema.allOf?.[1]?.properties?.error.enum ?? [];
    assert.ok(codes.includes(code), `${method} ${path} answered ${status} ${code}, which the OpenAPI document does not list (it lists ${codes.join(', ')})`);
  }
}
