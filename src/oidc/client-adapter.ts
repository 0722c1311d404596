import type { Knex } from 'knex';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { clientCacheFor, type ClientCacheOptions } from '../clients/client-cache.js';
import { clientMetadataFromRow } from '../clients/client-metadata.js';
import { findClientRow } from '../clients/clients-repository.js';
import { isClientId } from '../input/client-id.js';
import { withProviderErrors } from './database-unavailable.js';

/**
 * oidc-provider reads clients that are not in clients.json through this adapter, from the clients table.
 * Clients are created by the CLI and admin API, never by the provider (no dynamic registration). The
 * provider asks on every request that names a client, so found clients are cached (client-cache.ts: only
 * where change notifications are proved to arrive, i.e. on Postgres; the embedded database reads every time).
 */
export class ClientAdapter implements Adapter {
  readonly #db: Knex;
  readonly #cacheOptions: Partial<ClientCacheOptions>;

  /** `cacheOptions` apply when this adapter is the first to use the cache of `db` (clientCacheFor). */
  constructor(db: Knex, cacheOptions: Partial<ClientCacheOptions> = {}) {
    this.#db = db;
    this.#cacheOptions = cacheOptions;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (!isClientId(id)) return undefined;
    return clientCacheFor(this.#db, this.#cacheOptions).get(id, async () => {
      const row = await withProviderErrors(() => findClientRow(this.#db, id));
      return row ? (clientMetadataFromRow(row) as AdapterPayload) : undefined;
    });
  }

  async upsert(): Promise<void> {
    throw new Error('clients are managed by auth-connect, not by oidc-provider');
  }
  async destroy(): Promise<void> {
    throw new Error('clients are managed by auth-connect, not by oidc-provider');
  }
  async consume(): Promise<void> {}
  async findByUid(): Promise<undefined> {
    return undefined;
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
  async revokeByGrantId(): Promise<void> {}
}
