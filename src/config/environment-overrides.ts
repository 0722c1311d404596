import { ConfigError } from '../errors.js';

/** Environment variables that override a field of auth_config.json (README, Environment; docs/architecture.md, Configuration). */
interface Override {
  env: string;
  field: string;
  parse: (raw: string, env: string) => unknown;
}

const integer = (raw: string, env: string): number => {
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${env}=${raw}: must be a whole number`);
  return Number(raw);
};

const boolean = (raw: string, env: string): boolean => {
  const value = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(value)) return false;
  throw new ConfigError(`${env}=${raw}: must be true or false`);
};

const text = (raw: string): string => raw.trim();

export const overrides: readonly Override[] = [
  { env: 'PORT', field: 'server.port', parse: integer },
  { env: 'HOST', field: 'server.host', parse: text },
  { env: 'ISSUER', field: 'server.issuer', parse: (raw) => raw.trim().replace(/\/+$/, '') },
  { env: 'TRUST_PROXY', field: 'server.trust_proxy', parse: boolean },
  { env: 'JWT_ALGORITHM', field: 'jwt.algorithm', parse: text },
  { env: 'ACCESS_TOKEN_EXPIRE_MINUTES', field: 'jwt.access_token_expire_minutes', parse: integer },
  { env: 'REFRESH_TOKEN_EXPIRE_DAYS', field: 'jwt.refresh_token_expire_days', parse: integer },
];

/**
 * Writes every set override into `document` and returns a map from field to the `NAME=value` that set it,
 * so a validation error on that field names the variable rather than the file.
 */
export function applyEnvironmentOverrides(document: Record<string, unknown>, env: NodeJS.ProcessEnv): Map<string, string> {
  const applied = new Map<string, string>();
  for (const { env: name, field, parse } of overrides) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const [section, key] = field.split('.') as [string, string];
    document[section] ??= {};
    const target = document[section] as Record<string, unknown>;
    if (typeof target !== 'object' || Array.isArray(target)) continue;
    target[key] = parse(raw, name);
    applied.set(field, `${name}=${raw}`);
  }
  return applied;
}
