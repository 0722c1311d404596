import type { ApiErrorCode } from '../../error-codes.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call a route: nobody needs a token, a first-party user token, or a token holding a permission. */
export type RouteAccess = { kind: 'public' } | { kind: 'user'; apiKeyTokens?: boolean } | { kind: 'permission'; permission: string };

/** The query string a route reads, as one JSON Schema object whose properties are the parameters. */
export interface QuerySchema {
  type: 'object';
  properties: Record<string, { description?: string; nullable?: boolean } & Record<string, unknown>>;
}

/**
 * One route of the JSON API, as the OpenAPI document shows it. The routers read `body` from here to
 * validate requests, so what the document says a route accepts is what the route accepts.
 */
export interface RouteDescription {
  method: HttpMethod;
  /** The full path in the router's syntax (`/api/auth/sessions/:id`). */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: 'account' | 'admin' | 'meta';
  access: RouteAccess;
  body?: object;
  query?: object;
  success: { status: number; description: string; schema?: object };
  /** The codes this route answers with beyond those its access check and the JSON body parser bring. */
  errors: ApiErrorCode[];
}

/** What every route of /api can answer: a bad body or query, an unusable database. */
const EVERY_ROUTE: ApiErrorCode[] = ['INVALID_REQUEST', 'SERVICE_UNAVAILABLE'];

/** The codes a route's access check brings: the kit's bearer check, then our caller check. */
function accessErrors(access: RouteAccess): ApiErrorCode[] {
  return access.kind === 'public' ? [] : ['INVALID_TOKEN', 'TOKEN_EXPIRED', 'INSUFFICIENT_PERMISSIONS'];
}

/** Every error code a route can answer, in status order. */
export function errorCodesOf(route: RouteDescription, statusOf: (code: ApiErrorCode) => number): ApiErrorCode[] {
  const codes = new Set<ApiErrorCode>([...EVERY_ROUTE, ...accessErrors(route.access), ...route.errors]);
  return [...codes].sort((a, b) => statusOf(a) - statusOf(b) || a.localeCompare(b));
}
