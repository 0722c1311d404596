import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { applyEnvironmentOverrides } from './environment-overrides.js';
import { checkConsistency } from './check-consistency.js';
import { readRuntimeSettings } from './runtime-settings.js';
import { readTestPasswordHashing, TEST_ARGON2 } from './test-password-hashing.js';
import { validateDocument } from './validate-document.js';
import type { AuthConfig, Config, RolesConfig, StaticClientConfig } from './types.js';

const SHARED_SECRET_ALGORITHM = /^HS\d+$/i;
const REFUSED_HS = 'is refused: APIs verify tokens through the JWKS, which cannot carry a shared secret; use ES256 (default), RS256, PS256 or EdDSA';

/**
 * Reads config/auth_config.json, roles.json and clients.json from CONFIG_DIR, applies environment
 * overrides and validates everything. Throws ConfigError with one line naming what is wrong.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const configDir = path.resolve(env.CONFIG_DIR || 'config');
  const authFile = path.join(configDir, 'auth_config.json');
  const authDocument = readJsonFile(authFile, {}) as Record<string, unknown>;
  const fromEnv = applyEnvironmentOverrides(authDocument, env);

  const algorithm = (authDocument.jwt as { algorithm?: unknown } | undefined)?.algorithm;
  if (typeof algorithm === 'string' && SHARED_SECRET_ALGORITHM.test(algorithm)) {
    throw new ConfigError(`${fromEnv.get('jwt.algorithm') ?? `${display(authFile)}: jwt.algorithm "${algorithm}"`} ${REFUSED_HS}`);
  }
  const auth = validateDocument<AuthConfig>('auth_config', authDocument, (field) => fromEnv.get(field) ?? display(authFile));

  const rolesFile = path.join(configDir, 'roles.json');
  const roles = validateDocument<RolesConfig>('roles', readJsonFile(rolesFile), () => display(rolesFile));

  const clientsFile = path.join(configDir, 'clients.json');
  const clients = validateDocument<{ clients: StaticClientConfig[] }>('clients', readJsonFile(clientsFile, {}), () => display(clientsFile)).clients;

  const runtime = readRuntimeSettings(env, auth, configDir);
  if (readTestPasswordHashing(env, runtime.production)) {
    auth.password.argon2 = { ...TEST_ARGON2 };
    runtime.testPasswordHashing = true;
  }
  const config: Config = { auth, roles, clients, runtime };
  checkConsistency(config, { auth: display(authFile), clients: display(clientsFile) });
  return config;
}

function readJsonFile(file: string, fallback?: unknown): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && fallback !== undefined) return structuredClone(fallback);
    throw new ConfigError(
      `${display(file)}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); set CONFIG_DIR to the folder that holds it`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${display(file)}: not valid JSON (${(error as Error).message})`);
  }
}

function display(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
}
