import { ConfigError } from '../errors.js';
import type { Config } from './types.js';

/** Rules that span fields or files, which JSON Schema cannot express. */
export function checkConsistency(config: Config, files: { auth: string; clients: string }): void {
  const roleNames = Object.keys(config.roles.roles);
  const defaultRole = config.auth.registration.default_role;
  if (!roleNames.includes(defaultRole)) {
    throw new ConfigError(`${files.auth}: registration.default_role "${defaultRole}" is not a role in roles.json (roles: ${roleNames.join(', ')})`);
  }
  const unknownMfaRoles = config.auth.mfa.required_for_roles.filter((role) => !roleNames.includes(role));
  if (unknownMfaRoles.length) {
    throw new ConfigError(
      `${files.auth}: mfa.required_for_roles names ${unknownMfaRoles.join(', ')}, not a role in roles.json (roles: ${roleNames.join(', ')})`,
    );
  }
  if (config.auth.password.min_length > config.auth.password.max_length) {
    throw new ConfigError(
      `${files.auth}: password.min_length (${config.auth.password.min_length}) is greater than password.max_length (${config.auth.password.max_length})`,
    );
  }

  const keys = config.auth.api_keys;
  if (keys.default_lifetime_days > keys.max_lifetime_days) {
    throw new ConfigError(
      `${files.auth}: api_keys.default_lifetime_days (${keys.default_lifetime_days}) is greater than api_keys.max_lifetime_days (${keys.max_lifetime_days})`,
    );
  }

  const retire = config.auth.signing_keys.retire_after_seconds;
  if (retire !== undefined && retire < config.auth.jwt.access_token_expire_minutes * 60) {
    throw new ConfigError(
      `${files.auth}: signing_keys.retire_after_seconds (${retire}) is shorter than the access-token lifetime; a rotated key would leave /jwks while tokens it signed are still valid`,
    );
  }

  const permissions = new Set(Object.values(config.roles.roles).flatMap((role) => role.permissions));
  const seen = new Set<string>();
  config.clients.forEach((client, index) => {
    const where = `${files.clients}: clients[${index}]`;
    if (seen.has(client.client_id)) throw new ConfigError(`${where}.client_id "${client.client_id}" is used twice`);
    seen.add(client.client_id);
    const unknown = client.permissions.filter((p) => !permissions.has(p));
    if (unknown.length) {
      throw new ConfigError(`${where}.permissions: ${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not a permission of any role in roles.json`);
    }
    if (client.grant_types.includes('authorization_code') && client.redirect_uris.length === 0) {
      throw new ConfigError(`${where}.redirect_uris: an authorization_code client needs at least one redirect URI`);
    }
    const usesSecret = client.token_endpoint_auth_method.startsWith('client_secret');
    if (usesSecret && !client.client_secret_hash) {
      throw new ConfigError(`${where}.client_secret_hash: required for ${client.token_endpoint_auth_method}; make one with "auth-connect client hash-secret"`);
    }
    if (client.token_endpoint_auth_method === 'private_key_jwt' && !client.jwks && !client.jwks_uri) {
      throw new ConfigError(`${where}: private_key_jwt needs jwks or jwks_uri`);
    }
    if (client.token_endpoint_auth_method === 'none' && client.grant_types.includes('client_credentials')) {
      throw new ConfigError(`${where}: a public client (token_endpoint_auth_method "none") cannot use client_credentials`);
    }
  });
}
