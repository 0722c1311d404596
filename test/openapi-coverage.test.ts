import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Router from '@koa/router';
import type { Knex } from 'knex';
import { jsonApiRouters, type JsonApiDeps } from '../src/api/json-api.js';
import { API_ERRORS } from '../src/error-codes.js';
import { openApiDocument } from '../src/api/description/openapi-document.js';
import { rateLimiters } from '../src/http/rate-limiters.js';
import { loadConfig } from '../src/config/load-config.js';
import { packageRoot } from '../src/paths.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** "GET /api/auth/me" for every route the routers register (HEAD comes with GET; router.use() layers have no methods). */
function registered(routers: Router[]): string[] {
  return routers
    .flatMap((router) => router.stack)
    .flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m} ${layer.path}`))
    .sort();
}

/** The same form for every operation of the document. */
function described(document: Record<string, unknown>): string[] {
  const paths = document.paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths)
    .flatMap(([p, ops]) =>
      Object.keys(ops)
        .filter((m) => METHODS.includes(m))
        .map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
    )
    .sort();
}

/** Error codes thrown or answered anywhere in src/: `new …Error('CODE'`, `super('CODE'`, `error: 'CODE'`. */
function codesInSource(): Set<string> {
  const codes = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith('.ts')) {
        for (const m of readFileSync(file, 'utf8').matchAll(/(?:Error\(|super\(|error: )'([A-Z][A-Z_]+)'/g)) codes.add(m[1]!);
      }
    }
  };
  walk(path.join(packageRoot, 'src'));
  return codes;
}

describe('OpenAPI document and the routes', () => {
  let dataDir: string;
  let routers: Router[];
  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'ac-openapi-'));
    const config = loadConfig({ JWT_SECRET: 'a-test-secret-that-is-long-enough-to-pass', DATA_DIR: dataDir });
    // building the routers touches none of these; the routes would
    const unused = {} as never;
    const deps: JsonApiDeps = {
      db: {} as Knex,
      config,
      provider: unused,
      providerHandler: unused,
      verifier: unused,
      findClient: unused,
      throttle: unused,
      rateLimiters: rateLimiters({ engine: 'embedded', db: {} as Knex }),
      keyEncryptionKey: unused,
      mfa: unused,
      onKeysRotated: unused,
      mailing: unused,
      log: unused,
    };
    routers = jsonApiRouters(deps);
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  const document = openApiDocument({ issuer: 'https://id.example.org', version: '1.0.0' });

  it('describes every route the JSON API routers register, and nothing they do not', () => {
    const routes = registered(routers);
    const operations = described(document);
    assert.ok(routes.length > 20, `found only ${routes.length} routes; did the router internals change?`);
    assert.deepEqual(
      routes.filter((r) => !operations.includes(r)),
      [],
      'routes without a description',
    );
    assert.deepEqual(
      operations.filter((o) => !routes.includes(o)),
      [],
      'descriptions without a route',
    );
  });

  it('knows every error code the server answers with', () => {
    // codes that never reach an HTTP answer: the CLI's (SIGNING_KEYS_EXIST: keys generate and import), start-up's, and the kit's construction errors;
    // DATABASE_UNAVAILABLE is answered as SERVICE_UNAVAILABLE
    const notHttp = new Set([
      'CONFIG_INVALID',
      'DATABASE_UNAVAILABLE',
      'NO_DATABASE',
      'SIGNING_KEYS_EXIST',
      'USAGE',
      'FAILED',
      'VERIFIER_UNAVAILABLE',
      'INVALID_VERIFIER_OPTIONS',
    ]);
    const unknown = [...codesInSource()].filter((code) => !(code in API_ERRORS) && !notHttp.has(code));
    assert.deepEqual(unknown, [], 'add these to src/error-codes.ts and to the routes that answer them');
  });

  it('protects every operation but the public ones with bearer tokens and names their 401 and 403 codes', () => {
    const publicOps = [
      'POST /api/auth/register',
      'POST /api/auth/login',
      'POST /api/auth/refresh',
      // the second step of a login: the mfa_token stands for the password just checked
      'POST /api/auth/mfa/verify',
      'POST /api/auth/mfa/enrol/totp',
      'POST /api/auth/mfa/enrol/totp/confirm',
      'POST /api/auth/forgot-password',
      'POST /api/auth/reset-password',
      'POST /api/auth/verify-email',
      'POST /api/auth/verify-email/resend',
      'GET /api/openapi.json',
    ];
    for (const [p, ops] of Object.entries(
      document.paths as Record<
        string,
        Record<
          string,
          {
            security: unknown[];
            responses: Record<string, { content: { 'application/json': { schema: { allOf: { properties?: { error: { enum: string[] } } }[] } } } }>;
          }
        >
      >,
    )) {
      for (const [method, op] of Object.entries(ops)) {
        const name = `${method.toUpperCase()} ${p}`;
        if (publicOps.includes(name)) {
          assert.deepEqual(op.security, [], name);
          continue;
        }
        assert.deepEqual(op.security, [{ bearer: [] }], name);
        const codes = (status: string) => op.responses[status]!.content['application/json'].schema.allOf[1]!.properties!.error.enum;
        assert.ok(codes('401').includes('INVALID_TOKEN') && codes('401').includes('TOKEN_EXPIRED'), name);
        assert.ok(codes('403').includes('INSUFFICIENT_PERMISSIONS'), name);
      }
    }
  });

  it('shows request bodies as the routes validate them, in JSON Schema 2020-12', () => {
    const paths = document.paths as Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>>;
    const login = paths['/api/auth/login']!.post!.requestBody!.content['application/json']!.schema as {
      additionalProperties: boolean;
      required: string[];
      properties: Record<string, { type: unknown }>;
    };
    assert.equal(login.additionalProperties, false);
    assert.deepEqual(login.required, ['email', 'password']);
    assert.deepEqual(login.properties.client_id!.type, ['string', 'null'], "ajv's nullable becomes a type list");
    assert.doesNotMatch(JSON.stringify(document), /"nullable"/);
  });
});
