import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { RuntimeSettings } from './types.js';

/**
 * The server-side secret (cookie signing and other HMACs). JWT_SECRET in production; otherwise generated
 * once and kept in DATA_DIR so restarts and several local processes agree, with a warning.
 */
export function resolveServerSecret(runtime: RuntimeSettings, warn: (message: string) => void): string {
  if (runtime.jwtSecret) return runtime.jwtSecret;
  if (runtime.production) {
    throw new ConfigError(
      'JWT_SECRET is required when NODE_ENV=production: set it to a random string of at least 32 characters (for example: openssl rand -base64 48)',
    );
  }
  const file = path.join(runtime.dataDir, 'server-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(runtime.dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString('base64url');
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw error;
  }
  warn(`JWT_SECRET is not set: generated one in ${file}; set JWT_SECRET in production`);
  return secret;
}

/** The server secret if there is one already (JWT_SECRET or the generated file), creating nothing: for checks that must not write. */
export function existingServerSecret(runtime: RuntimeSettings): string | undefined {
  if (runtime.jwtSecret) return runtime.jwtSecret;
  try {
    return readFileSync(path.join(runtime.dataDir, 'server-secret'), 'utf8').trim();
  } catch {
    return undefined;
  }
}
