import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { ChangeOrigin } from '../audit/actor.js';
import { recordAudit } from '../audit/audit-log.js';
import { AuthConnectError } from '../errors.js';
import { isClientId } from '../input/client-id.js';
import type { RolesConfig } from '../config/types.js';
import { InsufficientPermissionsError, lacking, type Caller } from '../rbac/caller.js';
import { allPermissions } from '../rbac/roles.js';
import { grantShape } from './client-metadata.js';
import { generateClientSecret, hashClientSecret } from './client-secret.js';
import { forgetCachedClient, notifyClientChanged } from './client-cache.js';
import { deleteClientRow, findClientRow, insertClient, listClientRows, updateClientRow, type ClientRow } from './clients-repository.js';

export type { ClientRow };

export class InvalidClientInputError extends AuthConnectError {
  constructor(message: string) {
    super('INVALID_CLIENT', message);
    this.name = 'InvalidClientInputError';
  }
}

export class ClientNotFoundError extends AuthConnectError {
  constructor(clientId: string) {
    super('CLIENT_NOT_FOUND', `no client with id ${clientId}`);
    this.name = 'ClientNotFoundError';
  }
}

/** `device_code`: RFC 8628 (urn:ietf:params:oauth:grant-type:device_code), a user-facing client without a browser. */
export type ClientGrant = 'client_credentials' | 'authorization_code' | 'device_code';

export interface NewClient {
  name: string;
  grant: ClientGrant;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  public?: boolean;
  firstParty?: boolean;
  permissions?: string[];
  /** May introspect any token (an API that checks opaque tokens), not only its own. */
  resourceServer?: boolean;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface ClientsContext {
  db: Knex;
  roles: RolesConfig;
}

/**
 * Creates a client; returns it with its secret, which exists only in this answer (only the hash is stored).
 * A caller may give a client only permissions it holds itself. The client and its audit row are written together.
 */
export async function createClient(
  ctx: ClientsContext,
  caller: Caller,
  input: NewClient,
  origin: ChangeOrigin,
): Promise<{ client: ClientRow; secret?: string }> {
  const { roles } = ctx;
  const name = input.name.trim();
  if (!name || name.length > 100) throw new InvalidClientInputError('the client name must be 1 to 100 characters');
  const redirectUris = (input.redirectUris ?? []).map((uri) => checkRedirectUri(uri, 'redirect URI'));
  const postLogout = (input.postLogoutRedirectUris ?? []).map((uri) => checkRedirectUri(uri, 'post-logout redirect URI'));
  if (input.grant === 'authorization_code' && redirectUris.length === 0) {
    throw new InvalidClientInputError('an authorization_code client needs at least one --redirect-uri');
  }
  if (input.grant === 'client_credentials' && input.public) {
    throw new InvalidClientInputError('a client_credentials client cannot be public: it authenticates with its secret');
  }
  if (input.grant === 'client_credentials' && (redirectUris.length || postLogout.length)) {
    throw new InvalidClientInputError('a client_credentials client has no redirect URIs');
  }
  if (input.grant === 'device_code' && (redirectUris.length || postLogout.length)) {
    throw new InvalidClientInputError('a device_code client has no redirect URIs: the user signs in on another device');
  }
  const permissions = [...new Set(input.permissions ?? [])];
  checkPermissions(roles, caller, permissions);

  const secret = input.public ? undefined : generateClientSecret();
  return ctx.db.transaction(async (db) => {
    const client = await insertClient(db, {
      client_id: newClientId(),
      client_name: name,
      metadata: {
        ...grantShape([input.grant], redirectUris),
        post_logout_redirect_uris: postLogout,
        token_endpoint_auth_method: input.public ? 'none' : 'client_secret_basic',
      },
      secret_hash: secret ? hashClientSecret(secret) : null,
      first_party: input.firstParty ?? false,
      permissions,
      resource_server: input.resourceServer ?? false,
    });
    await audit(db, caller, origin, 'client.created', client.client_id, { grant: input.grant, first_party: client.first_party, permissions });
    return { client, secret };
  });
}

export function listClients(db: Knex): Promise<ClientRow[]> {
  return listClientRows(db);
}

export async function deleteClient(ctx: ClientsContext, caller: Caller, clientId: string, origin: ChangeOrigin): Promise<void> {
  await changingClient(ctx.db, clientId, async (db) => {
    if (!isClientId(clientId) || !(await deleteClientRow(db, clientId))) throw new ClientNotFoundError(clientId);
    await audit(db, caller, origin, 'client.deleted', clientId);
  });
}

/**
 * Redirect URIs are compared exactly (RFC 9700 §4.1.3), so they must be complete: absolute, no fragment,
 * https except for loopback development addresses.
 */
function checkRedirectUri(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidClientInputError(`${what} "${value}" is not an absolute URL`);
  }
  if (url.hash) throw new InvalidClientInputError(`${what} "${value}" must not contain a fragment (#)`);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname))) {
    throw new InvalidClientInputError(`${what} "${value}" must use https (http is allowed for localhost only)`);
  }
  return value;
}

export interface ClientPatch {
  name?: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  firstParty?: boolean;
  permissions?: string[];
  resourceServer?: boolean;
}

export async function updateClient(ctx: ClientsContext, caller: Caller, clientId: string, patch: ClientPatch, origin: ChangeOrigin): Promise<ClientRow> {
  const { db, roles } = ctx;
  const current = isClientId(clientId) ? await findClientRow(db, clientId) : undefined;
  if (!current) throw new ClientNotFoundError(clientId);
  const usesCode = (current.metadata.grant_types as string[]).includes('authorization_code');
  const metadata = { ...current.metadata };
  if (patch.redirectUris) {
    if (!usesCode) throw new InvalidClientInputError('only an authorization_code client has redirect URIs');
    if (patch.redirectUris.length === 0) throw new InvalidClientInputError('an authorization_code client needs at least one redirect URI');
    metadata.redirect_uris = patch.redirectUris.map((uri) => checkRedirectUri(uri, 'redirect URI'));
  }
  if (patch.postLogoutRedirectUris)
    metadata.post_logout_redirect_uris = patch.postLogoutRedirectUris.map((uri) => checkRedirectUri(uri, 'post-logout redirect URI'));
  if (patch.permissions) checkPermissions(roles, caller, patch.permissions);
  const name = patch.name?.trim();
  if (name !== undefined && (!name || name.length > 100)) throw new InvalidClientInputError('the client name must be 1 to 100 characters');
  return changingClient(db, clientId, async (trx) => {
    const updated = await updateClientRow(trx, clientId, {
      metadata,
      ...(name ? { client_name: name } : {}),
      ...(patch.firstParty !== undefined ? { first_party: patch.firstParty } : {}),
      ...(patch.permissions ? { permissions: [...new Set(patch.permissions)] } : {}),
      ...(patch.resourceServer !== undefined ? { resource_server: patch.resourceServer } : {}),
    });
    if (!updated) throw new ClientNotFoundError(clientId);
    await audit(trx, caller, origin, 'client.updated', clientId, { fields: Object.keys(patch).filter((k) => patch[k as keyof ClientPatch] !== undefined) });
    return updated;
  });
}

/** A new secret for a confidential client; the old one stops working at once. */
export async function resetClientSecret(
  ctx: ClientsContext,
  caller: Caller,
  clientId: string,
  origin: ChangeOrigin,
): Promise<{ client: ClientRow; secret: string }> {
  const current = isClientId(clientId) ? await findClientRow(ctx.db, clientId) : undefined;
  if (!current) throw new ClientNotFoundError(clientId);
  if (!current.secret_hash) throw new InvalidClientInputError('a public client has no secret');
  const secret = generateClientSecret();
  return changingClient(ctx.db, clientId, async (db) => {
    const client = await updateClientRow(db, clientId, { secret_hash: hashClientSecret(secret) });
    if (!client) throw new ClientNotFoundError(clientId);
    await audit(db, caller, origin, 'client.secret_reset', clientId);
    return { client, secret };
  });
}

function checkPermissions(roles: RolesConfig, caller: Caller, permissions: string[]): void {
  const known = new Set(allPermissions(roles));
  const unknown = permissions.filter((p) => !known.has(p));
  if (unknown.length) throw new InvalidClientInputError(`unknown permission(s): ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  const missing = lacking(caller, permissions);
  if (missing.length) throw new InsufficientPermissionsError(`you cannot give a client permissions you lack (${missing.join(', ')})`);
}

/** 128 random bits; never starting with '-', which a command line would take for an option (`client delete -x…`). */
export function newClientId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function audit(db: Knex, caller: Caller, origin: ChangeOrigin, event: string, clientId: string, details: Record<string, unknown> = {}): Promise<void> {
  return recordAudit(db, { event, actor: caller.actor, clientId, ip: origin.ip, userAgent: origin.userAgent, details: { via: origin.via, ...details } });
}

/**
 * A change to a registered client: the change, its audit row and the announcement on the clients channel
 * commit together (a notification is delivered at commit), so every instance drops its cached copy; this
 * instance drops its own at once, before the answer leaves, not when its notification comes back.
 */
async function changingClient<T>(db: Knex, clientId: string, change: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  const result = await db.transaction(async (trx) => {
    const changed = await change(trx);
    await notifyClientChanged(trx, clientId);
    return changed;
  });
  forgetCachedClient(db, clientId);
  return result;
}
