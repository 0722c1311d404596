import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compile, type JSONSchema } from 'json-schema-to-typescript';

// The TypeScript types of the three config files are generated from their JSON Schemas (config/schema/), the one
// source of what a config file may hold. `npm run config:types` rewrites src/config/schema-types.ts;
// test/config-types.test.ts fails when it is out of date.

const root = path.join(import.meta.dirname, '..', '..', '..');
export const GENERATED = path.join(root, 'src', 'config', 'schema-types.ts');

const DOCUMENTS = [
  { file: 'auth_config.schema.json', type: 'AuthConfigDocument' },
  { file: 'roles.schema.json', type: 'RolesDocument' },
  { file: 'clients.schema.json', type: 'ClientsDocument' },
];

/**
 * After validation every property with a default is present (ajv fills it in), so the types the server reads
 * call it required; a property without a default stays optional.
 */
function defaultsAreRequired(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  const schema = node as { properties?: Record<string, unknown>; required?: string[] };
  if (schema.properties) {
    const defaulted = Object.entries(schema.properties).filter(([, property]) => property && typeof property === 'object' && 'default' in property);
    if (defaulted.length) schema.required = [...new Set([...(schema.required ?? []), ...defaulted.map(([name]) => name)])];
  }
  for (const child of Object.values(node)) defaultsAreRequired(child);
}

export async function generatedTypes(): Promise<string> {
  const parts = ['// Generated from config/schema/*.json by `npm run config:types`; do not edit (change the schema instead).\n'];
  for (const { file, type } of DOCUMENTS) {
    const schema = JSON.parse(readFileSync(path.join(root, 'config', 'schema', file), 'utf8')) as JSONSchema;
    defaultsAreRequired(schema);
    // the title or $id would name the type; `type` names it
    delete schema.title;
    delete schema.$id;
    parts.push(
      await compile(schema, type, {
        bannerComment: '',
        additionalProperties: false,
        ignoreMinAndMaxItems: true,
        strictIndexSignatures: false,
        format: true,
        style: { singleQuote: true, printWidth: 160 },
      }),
    );
  }
  return parts.join('\n');
}

if (process.argv[1] === import.meta.filename) {
  const text = await generatedTypes();
  const current = (() => {
    try {
      return readFileSync(GENERATED, 'utf8');
    } catch {
      return '';
    }
  })();
  if (text === current) console.log('src/config/schema-types.ts: already up to date');
  else {
    writeFileSync(GENERATED, text);
    console.log('src/config/schema-types.ts: rewritten from config/schema/*.json');
  }
}
