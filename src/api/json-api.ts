import type Router from '@koa/router';
import type { KeyEncryptionKey } from '../keys/key-encryption.js';
import { packageVersion } from '../package-version.js';
import { adminRoutes } from './admin-routes.js';
import { authRoutes, type AuthRoutesDeps } from './auth-routes.js';
import { mfaRoutes } from './mfa-routes.js';
import { openApiRoute } from './openapi-route.js';

export interface JsonApiDeps extends AuthRoutesDeps {
  /** Seals the keys a rotation adds. */
  keyEncryptionKey: KeyEncryptionKey;
  /** Applies a key rotation to the running server at once (other instances follow the database). */
  onKeysRotated: () => Promise<void>;
}

/**
 * Every router of the JSON API under /api, in one list: the app mounts these, and the OpenAPI test
 * compares their routes with the document, so a route added here without a description fails the tests.
 */
export function jsonApiRouters(deps: JsonApiDeps): Router[] {
  return [authRoutes(deps), mfaRoutes(deps), adminRoutes(deps), openApiRoute({ issuer: deps.config.runtime.issuer, version: packageVersion() })];
}
