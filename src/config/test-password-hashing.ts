import { ConfigError } from '../errors.js';
import type { Argon2Settings } from './types.js';

/** argon2id at a cost near its lowest (1 MiB, one pass, one lane): about 0.5 ms a hash instead of 20-40 ms. */
export const TEST_ARGON2: Argon2Settings = { memory_kib: 1024, iterations: 1, parallelism: 1 };

/**
 * UNSAFE_TEST_PASSWORD_HASHING=true: passwords are hashed at TEST_ARGON2 instead of password.argon2, below the
 * schema's floor on purpose. For test suites whose subject is not the hashing, which otherwise spend most of
 * their time in argon2 (a thousand wrong passwords are half a minute of a core). Refused with
 * NODE_ENV=production; the server warns at start while it is on.
 */
export function readTestPasswordHashing(env: NodeJS.ProcessEnv, production: boolean): boolean {
  const raw = env.UNSAFE_TEST_PASSWORD_HASHING?.trim().toLowerCase();
  if (raw === undefined || ['', '0', 'false', 'no', 'off'].includes(raw)) return false;
  if (!['1', 'true', 'yes', 'on'].includes(raw))
    throw new ConfigError(`UNSAFE_TEST_PASSWORD_HASHING=${env.UNSAFE_TEST_PASSWORD_HASHING}: must be true or false`);
  if (production) throw new ConfigError('UNSAFE_TEST_PASSWORD_HASHING is refused when NODE_ENV=production: it makes stored passwords cheap to guess');
  return true;
}
