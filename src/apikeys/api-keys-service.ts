import type { Knex } from 'knex';
import { isUuid } from '../input/uuid.js';
import type { UserRow } from '../accounts/users-repository.js';
import type { Actor } from '../audit/actor.js';
import { recordAudit } from '../audit/audit-log.js';
import { AuthConnectError } from '../errors.js';
import type { AuthConfig, RolesConfig } from '../config/types.js';
import { InsufficientPermissionsError, lacking, type Caller } from '../rbac/caller.js';
import { permissionsOfRole } from '../rbac/roles.js';
import { apiKeyMatches, apiKeyPrefix, generateApiKey } from './api-key-format.js';
import { findApiKeyWithOwner, insertApiKey, listApiKeyRows, revokeApiKeyRow, type ApiKeyRow } from './api-keys-repository.js';

const DAY_MS = 86_400_000;

export class ApiKeyNotFoundError extends AuthConnectError {
  constructor() {
    super('API_KEY_NOT_FOUND', 'no such active API key');
  }
}

export interface ApiKeysContext {
  db: Knex;
  config: { auth: AuthConfig; roles: RolesConfig };
}

export interface NewApiKey {
  name: string;
  permissions?: string[];
  expiresInDays?: number;
}

/**
 * Creates a key for `owner`; the key exists only in this answer (only its prefix and hash are stored).
 * A key never carries more than its owner's role and the caller's token allow (the owner's own token
 * narrowed to `read` makes `read` keys at most); without a list it gets all of that. It expires after
 * api_keys.default_lifetime_days unless asked otherwise, and never later than max_lifetime_days.
 */
export async function createApiKey(
  ctx: ApiKeysContext,
  caller: Caller,
  owner: UserRow,
  input: NewApiKey,
  /** What the caller adds to the key's transaction (the notice to its owner). */
  within?: (trx: Knex, row: ApiKeyRow) => Promise<void>,
): Promise<{ key: string; row: ApiKeyRow }> {
  const name = input.name.trim();
  if (!name || name.length > 100) throw new AuthConnectError('INVALID_REQUEST', 'name must be 1 to 100 characters');
  const { default_lifetime_days: defaultDays, max_lifetime_days: maxDays } = ctx.config.auth.api_keys;
  const days = input.expiresInDays ?? defaultDays;
  if (!Number.isInteger(days) || days < 1 || days > maxDays)
    throw new AuthConnectError('INVALID_REQUEST', `expires_in_days must be a whole number from 1 to ${maxDays}`);

  const ownerHolds = permissionsOfRole(ctx.config.roles, owner.role);
  const bound = ownerHolds.filter((p) => !lacking(caller, [p]).length);
  const permissions = [...new Set(input.permissions ?? bound)];
  const beyondOwner = permissions.filter((p) => !ownerHolds.includes(p));
  if (beyondOwner.length) throw new InsufficientPermissionsError(`an API key cannot carry permissions its owner lacks: ${beyondOwner.join(', ')}`);
  const beyondCaller = lacking(caller, permissions);
  if (beyondCaller.length) throw new InsufficientPermissionsError(`an API key cannot carry permissions this token lacks: ${beyondCaller.join(', ')}`);

  const { key, prefix, hash } = generateApiKey();
  return ctx.db.transaction(async (db) => {
    const row = await insertApiKey(db, { user_id: owner.id, name, prefix, key_hash: hash, permissions, expires_at: new Date(Date.now() + days * DAY_MS) });
    await recordAudit(db, { event: 'api_key.created', userId: owner.id, actor: caller.actor, details: { api_key_id: row.id, prefix, permissions } });
    await within?.(db, row);
    return { key, row };
  });
}

export function listApiKeys(db: Knex, userId?: string): Promise<ApiKeyRow[]> {
  return listApiKeyRows(db, userId);
}

/** Revokes a key (only the owner's own when `ownerId` is given); the audit row names who did it. */
export async function revokeApiKey(db: Knex, keyId: string, actor: Actor, ownerId?: string): Promise<ApiKeyRow> {
  return db.transaction(async (trx) => {
    const row = isUuid(keyId) ? await revokeApiKeyRow(trx, keyId, ownerId) : undefined;
    if (!row) throw new ApiKeyNotFoundError();
    await recordAudit(trx, { event: 'api_key.revoked', userId: row.user_id, actor, details: { api_key_id: row.id, prefix: row.prefix } });
    return row;
  });
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
