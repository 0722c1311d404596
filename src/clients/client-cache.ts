import type { Knex } from 'knex';
import { LRUCache } from 'lru-cache';
import { listenForNotifications, type ListenerState } from '../db/notification-listener.js';

/** The Postgres channel on which a change to a registered client is announced (payload: its client_id, or '*'). */
export const CLIENTS_CHANNEL = 'auth_connect_clients';

/**
 * Announces that a client was created, changed or deleted, so every server drops what it cached about it.
 * Call it after the change is committed (a notification sent inside a transaction is delivered at commit).
 */
export async function notifyClientChanged(db: Knex, clientId: string): Promise<void> {
  await db.raw('select pg_notify(?, ?)', [CLIENTS_CHANNEL, clientId]);
}

export interface ClientCacheOptions {
  /** Most clients kept; the least recently used goes first. */
  maxEntries: number;
  /** An entry is read again after this long even without a notification: a bound on staleness if one is ever missed. */
  ttlMs: number;
  /** How long to wait for our own probe notification before deciding notifications do not work here. */
  probeTimeoutMs: number;
  /** Wait before listening again after the listening connection broke (doubling up to 30 s). */
  retryMs: number;
}

const DEFAULTS: ClientCacheOptions = { maxEntries: 1_000, ttlMs: 60_000, probeTimeoutMs: 3_000, retryMs: 1_000 };

/**
 * Client metadata read from the clients table, kept in memory because oidc-provider asks for it on every
 * token request and it changes rarely. Kept only while this process is LISTENing on CLIENTS_CHANNEL and
 * has proved that notifications reach it (src/db/notification-listener.ts): then a change made anywhere —
 * this server's admin API, another instance, the CLI — that calls notifyClientChanged drops the entry
 * everywhere at once. Where notifications do not work (the embedded database, which delivers them to the
 * sending connection; a transaction-pooling proxy), nothing is cached and every lookup reads the table. While
 * the listening connection is down, nothing is cached either, and everything is dropped when it breaks and
 * when it comes back (a notification may have been missed). Only found clients are kept: an unknown
 * client_id is read every time.
 */
export class ClientCache {
  readonly #db: Knex;
  readonly #options: ClientCacheOptions;
  /** Metadata as JSON: each lookup parses a fresh object, as oidc-provider hashes what it gets and must never see it changed. */
  readonly #entries: LRUCache<string, string>;
  /** Bumped by every invalidation; a read started before one must not fill the cache with what it found. */
  #generation = 0;
  #listener?: ReturnType<typeof listenForNotifications>;
  #closed = false;

  constructor(db: Knex, options: Partial<ClientCacheOptions> = {}) {
    this.#db = db;
    this.#options = { ...DEFAULTS, ...options };
    this.#entries = new LRUCache({ max: this.#options.maxEntries, ttl: this.#options.ttlMs });
  }

  /** 'listening' when entries are kept; anything else means every lookup goes to the database. */
  get state(): ListenerState {
    if (this.#closed) return 'closed';
    return this.#listener?.state() ?? 'starting';
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Starts listening in the background; lookups read the database until notifications are proved to work. */
  start(): void {
    if (this.#listener || this.#closed) return;
    const { probeTimeoutMs, retryMs } = this.#options;
    this.#listener = listenForNotifications(this.#db, CLIENTS_CHANNEL, (clientId) => this.invalidate(clientId || '*'), { probeTimeoutMs, retryMs });
  }

  /** The cached value for `key`, or what `load` reads (kept for next time if notifications work). */
  async get<T extends object>(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    if (this.state !== 'listening') return load();
    const json = this.#entries.get(key);
    if (json !== undefined) return JSON.parse(json) as T;
    const generation = this.#generation;
    const value = await load();
    if (value !== undefined && generation === this.#generation && this.state === 'listening') this.#entries.set(key, JSON.stringify(value));
    return value;
  }

  /** Drops one client ('*': all of them). */
  invalidate(key: string): void {
    this.#generation++;
    if (key === '*') this.#entries.clear();
    else this.#entries.delete(key);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.invalidate('*');
    await this.#listener?.close();
  }
}

const caches = new WeakMap<Knex, ClientCache>();

/**
 * The cache of one database handle (shared by the providers built on it), started on first use with `options`
 * (later callers' options are not applied). It learns of changes only through notifyClientChanged, which every
 * change in clients-service.ts sends.
 */
export function clientCacheFor(db: Knex, options: Partial<ClientCacheOptions> = {}): ClientCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = new ClientCache(db, options);
    caches.set(db, cache);
    cache.start();
  }
  return cache;
}

/** Drops a client from this process's cache of `db`, if it keeps one (a CLI process keeps none and starts none). */
export function forgetCachedClient(db: Knex, clientId: string): void {
  caches.get(db)?.invalidate(clientId);
}
