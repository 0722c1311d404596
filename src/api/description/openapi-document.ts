import { adminApi } from './admin-api.js';
import { authApi } from './auth-api.js';
import { API_ERRORS, type ApiErrorCode } from '../../error-codes.js';
import { errorCodesOf, type QuerySchema, type RouteDescription } from './route-description.js';
import { responseSchemas } from './response-schemas.js';

export const OPENAPI_PATH = '/api/openapi.json';

const metaApi: RouteDescription[] = [
  {
    method: 'get',
    path: OPENAPI_PATH,
    operationId: 'getOpenApiDocument',
    tag: 'meta',
    access: { kind: 'public' },
    summary: 'This description of the JSON API (OpenAPI 3.1)',
    success: { status: 200, description: 'the document', schema: { $ref: '#/components/schemas/OpenApiDocument' } },
    errors: [],
  },
];

/** Every route of the JSON API that the document describes; the routers' tests compare against it. */
export const apiRoutes: RouteDescription[] = [...authApi, ...adminApi, ...metaApi];

export interface DocumentOptions {
  issuer: string;
  version: string;
}

/** The OpenAPI 3.1 document of /api/auth/*, /api/admin/* and itself, built from the route descriptions. */
export function openApiDocument({ issuer, version }: DocumentOptions): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of apiRoutes) {
    const path = route.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'auth-connect JSON API',
      version,
      description:
        'The account API (/api/auth/*) and the admin API (/api/admin/*). Errors are `{ "error": CODE, "message": "…" }`; ' +
        'each operation lists the codes it can answer. The OAuth 2.0 / OpenID Connect endpoints are described by ' +
        '/.well-known/openid-configuration instead.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: issuer }],
    tags: [
      { name: 'account', description: 'the calling user’s own account, sessions and API keys' },
      { name: 'admin', description: 'users, sessions, clients, API keys, signing keys and the audit log; by permission' },
      { name: 'meta', description: 'about the API itself' },
    ],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'an access token from this server (typ at+jwt)' },
      },
      schemas: { ...responseSchemas, Error: errorSchema(Object.keys(API_ERRORS) as ApiErrorCode[]) },
    },
  };
}

function operation(route: RouteDescription): Record<string, unknown> {
  const pathParameters = [...route.path.matchAll(/:([A-Za-z_]+)/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  const queryParameters = Object.entries((route.query as QuerySchema | undefined)?.properties ?? {}).map(([name, { description, nullable: _, ...schema }]) => ({
    name,
    in: 'query',
    required: false,
    description,
    schema,
  }));
  const parameters = [...pathParameters, ...queryParameters];
  const description = [route.description, accessSentence(route)].filter(Boolean).join(' ');
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(description ? { description } : {}),
    tags: [route.tag],
    security: route.access.kind === 'public' ? [] : [{ bearer: [] }],
    ...(route.access.kind === 'permission' ? { 'x-permission': route.access.permission } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: toOpenApiSchema(route.body) } } } } : {}),
    responses: { ...success(route), ...errorResponses(route) },
  };
}

function accessSentence({ access }: RouteDescription): string | undefined {
  switch (access.kind) {
    case 'public':
      return undefined;
    case 'user':
      return `Needs a user's access token from a first-party app${access.apiKeyTokens ? ' or one exchanged from an API key' : ''}.`;
    case 'permission':
      return `Needs an access token holding the ${access.permission} permission (a first-party user's, or a machine client registered with it).`;
  }
}

function success({ success: s }: RouteDescription): Record<string, unknown> {
  return { [s.status]: { description: s.description, ...(s.schema ? { content: { 'application/json': { schema: s.schema } } } : {}) } };
}

/** One response per status, naming every code the route can answer with that status. */
function errorResponses(route: RouteDescription): Record<string, unknown> {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const code of errorCodesOf(route, (c) => API_ERRORS[c].status)) {
    const status = API_ERRORS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, unknown> = {};
  for (const [status, codes] of byStatus) {
    responses[status] = {
      description: codes.map((c) => `${c}: ${API_ERRORS[c].meaning}`).join('; '),
      ...(status === 429 || status === 503 ? { headers: { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } } } : {}),
      content: { 'application/json': { schema: { allOf: [{ $ref: '#/components/schemas/Error' }, { properties: { error: { enum: codes } } }] } } },
    };
  }
  return responses;
}

/** The error body; each response narrows `error` to the codes it can carry. */
function errorSchema(codes: ApiErrorCode[]): Record<string, unknown> {
  return {
    type: 'object',
    required: ['error', 'message'],
    properties: {
      error: { type: 'string', enum: codes },
      message: { type: 'string', description: 'one sentence for people; not for parsing' },
      rules: { type: 'array', items: { type: 'string' }, description: 'WEAK_PASSWORD only: the password rules not met' },
    },
  };
}

/**
 * Our bodies are ajv schemas (JSON Schema draft 7 with ajv's `nullable`); OpenAPI 3.1 speaks JSON Schema
 * 2020-12, where "may be null" is a type list.
 */
export function toOpenApiSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toOpenApiSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const { nullable, ...rest } = schema as Record<string, unknown>;
  const converted = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, toOpenApiSchema(v)]));
  if (nullable === true && typeof converted.type === 'string') converted.type = [converted.type, 'null'];
  return converted;
}
