import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { DEVICE_CODE_GRANT } from '../clients/client-metadata.js';
import { TOKEN_EXCHANGE_GRANT } from '../oidc/account-api-client.js';
import { closedLabel } from './closed-label.js';

/**
 * Prometheus metrics: process metrics, requests by route group and status with their duration, and
 * token-endpoint outcomes by grant type. Every label comes from a closed set (anything else counts as
 * `other`): a label taken from the request would let anyone create series without bound.
 * They are served by the metrics listener (metrics-listener.ts), never on the main port.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'auth_connect_' });
  const requests = new Histogram({
    name: 'auth_connect_http_request_duration_seconds',
    help: 'HTTP requests by route group and status',
    labelNames: ['group', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const grants = new Counter({
    name: 'auth_connect_token_requests_total',
    help: 'Token endpoint outcomes by grant type',
    labelNames: ['grant_type', 'outcome'] as const,
    registers: [registry],
  });

  const middleware: Middleware = async (ctx, next) => {
    const end = requests.startTimer();
    try {
      await next();
    } finally {
      // the provider answers on the raw response (ctx.respond = false), so read the status from there
      const status = ctx.respond === false ? ctx.res.statusCode : ctx.status;
      end({ group: routeGroup(ctx.path), method: closedLabel(ctx.method, METHODS), status: statusLabel(status) });
    }
  };

  const watch = (provider: Provider) => {
    const grantType = (ctx: { oidc?: { params?: Record<string, unknown> } }) => closedLabel(ctx.oidc?.params?.grant_type, GRANT_TYPES);
    provider.on('grant.success', (ctx) => grants.inc({ grant_type: grantType(ctx), outcome: 'success' }));
    provider.on('grant.error', (ctx) => grants.inc({ grant_type: grantType(ctx), outcome: 'error' }));
  };

  return { middleware, watch, contentType: registry.contentType, render: () => registry.metrics() };
}

/** The grant types the token endpoint serves. */
const GRANT_TYPES: ReadonlySet<string> = new Set(['authorization_code', 'refresh_token', 'client_credentials', DEVICE_CODE_GRANT, TOKEN_EXCHANGE_GRANT]);
const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

const statusLabel = (status: number): string => (Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : 'other');

const GROUPS: [RegExp, string][] = [
  [/^\/token\/(introspection|revocation)/, 'token_management'],
  [/^\/token/, 'token'],
  [/^\/(auth|request)/, 'authorization'],
  [/^\/device/, 'device'],
  [/^\/interaction\//, 'interaction'],
  [/^\/api\/auth\//, 'account_api'],
  [/^\/api\/admin\//, 'admin_api'],
  [/^\/(jwks|\.well-known\/)/, 'discovery'],
  [/^\/me/, 'userinfo'],
  [/^\/session\//, 'logout'],
  [/^\/(healthz|readyz)/, 'health'],
];

function routeGroup(path: string): string {
  return GROUPS.find(([pattern]) => pattern.test(path))?.[1] ?? 'other';
}

export type Metrics = ReturnType<typeof createMetrics>;
