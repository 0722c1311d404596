import { ConfigError } from '../errors.js';
import type { Config } from './types.js';

/**
 * What production (NODE_ENV=production) requires beyond a valid configuration, checked by `npm start`
 * before it touches the database and by `auth-connect config show`, so the two never disagree. (The https
 * issuer rule is part of reading the configuration, so both get it from loadConfig.) Signing keys live in the
 * database, so only the server checks them, once it has opened it (src/keys/signing-keys-service.ts).
 */
export function checkProductionRequirements(config: Config): void {
  const { runtime } = config;
  if (!runtime.production) return;
  if (!runtime.jwtSecret) {
    throw new ConfigError(
      'JWT_SECRET is required when NODE_ENV=production: set it to a random string of at least 32 characters (for example: openssl rand -base64 48)',
    );
  }
}
