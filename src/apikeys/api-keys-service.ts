import type { Knex } from 'knex';
import { isUuid } from '../input/uuid.js';
import type { UserRow } from '../accounts/users-repository.js';
import { recordAudit } from '../audit/audit-log.js';
import { AuthConnectError } from '../errors.js';
import type { RolesConfig } from '../config/types.js';
import { permissionsOfRole } from '../rbac/roles.js';
import { apiKeyMatches, apiKeyPrefix, generateApiKey } from './api-key-format.js';
import { findApiKeyWithOwner, insertApiKey, listApiKeyRows, revokeApiKeyRow, type ApiKeyRow } from './api-keys-repository.js';

const DAY_MS = 86_400_000;

export class ApiKeyNotFoundError extends AuthConnectError {
  constructor() {
    super('API_KEY_NOT_FOUND', 'no such active API key', 404);
  }
}

export interface NewApiKey {
  name: string;
  permissions?: string[];
  expiresInDays?: number;
}

/** Creates a key for `owner`; the key exists only in this answer (only its prefix and hash are stored). */
export async function createApiKey(db: Knex, roles: RolesConfig, owner: UserRow, input: NewApiKey, actorUserId?: string): Promise<{ key: string; row: ApiKeyRow }> {
  const name = input.name.trim();
  if (!name || name.length > 100) throw new AuthConnectError('INVALID_REQUEST', 'name must be 1 to 100 characters', 400);
  const held = permissionsOfRole(roles, owner.role);
  const permissions = [...new Set(input.permissions ?? held)];
  const beyond = permissions.filter((p) => !held.includes(p));
  if (beyond.length) {
    throw new AuthConnectError('INSUFFICIENT_PERMISSIONS', `an API key cannot carry permissions its owner lacks: ${beyond.join(', ')}`, 403);
  }
  const { key, prefix, hash } = generateApiKey();
  const row = await insertApiKey(db, {
    user_id: owner.id,
    name,
    prefix,
    key_hash: hash,
    permissions,
    expires_at: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * DAY_MS) : null,
  });
  await recordAudit(db, { event: 'api_key.created', userId: owner.id, actorUserId: actorUserId ?? owner.id, details: { api_key_id: row.id, prefix, permissions } });
  return { key, row };
}

export function listApiKeys(db: Knex, userId?: string): Promise<ApiKeyRow[]> {
  return listApiKeyRows(db, userId);
}

export async function revokeApiKey(db: Knex, keyId: string, options: { ownerId?: string; actorUserId?: string } = {}): Promise<ApiKeyRow> {
  const row = isUuid(keyId) ? await revokeApiKeyRow(db, keyId, options.ownerId) : undefined;
  if (!row) throw new ApiKeyNotFoundError();
  await recordAudit(db, { event: 'api_key.revoked', userId: row.user_id, actorUserId: options.actorUserId ?? row.user_id, details: { api_key_id: row.id, prefix: row.prefix } });
  return row;
}

/**
 * The key and its owner when the key is valid: well-formed, known, matching its hash, active, not
 * expired, and owned by an active user. Anything else is undefined, one answer for every failure.
 */
export async function resolveApiKey(db: Knex, presented: unknown): Promise<{ key: ApiKeyRow; owner: UserRow } | undefined> {
  const prefix = apiKeyPrefix(presented);
  if (!prefix) return undefined;
  const found = await findApiKeyWithOwner(db, prefix);
  if (!found || !apiKeyMatches(found.key.key_hash, presented as string)) return undefined;
  if (!found.key.is_active || (found.key.expires_at && found.key.expires_at <= new Date()) || !found.owner.is_active) return undefined;
  return found;
}

/** What leaves the server about a key: never its hash. */
export function publicApiKey(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    prefix: `ack_${row.prefix}`,
    permissions: row.permissions,
    is_active: row.is_active,
    last_used_at: row.last_used_at?.toISOString() ?? null,
    expires_at: row.expires_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
  };
}
