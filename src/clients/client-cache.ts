import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { LRUCache } from 'lru-cache';

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
  /** Backoff between attempts to listen again after the listening connection broke. */
  retryMinMs: number;
  retryMaxMs: number;
}

const DEFAULTS: ClientCacheOptions = { maxEntries: 1_000, ttlMs: 60_000, probeTimeoutMs: 3_000, retryMinMs: 1_000, retryMaxMs: 30_000 };

/** The part of a node-postgres client the cache uses for its listening connection. */
interface ListeningConnection {
  query(text: string): Promise<unknown>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error' | 'end', listener: (error?: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
  connection?: { stream?: { unref?: () => void } };
}

type State = 'starting' | 'listening' | 'retrying' | 'off' | 'closed';

/**
 * Client metadata read from the clients table, kept in memory because oidc-provider asks for it on every
 * token request and it changes rarely. Kept only while this process is LISTENing on CLIENTS_CHANNEL and
 * has proved that notifications reach it (a probe sent through the pool must arrive on the listening
 * connection): then a change made anywhere — this server's admin API, another instance, the CLI — that calls
 * notifyClientChanged drops the entry everywhere at once. Where notifications do not work (the embedded
 * database, which delivers them to the sending connection; a transaction-pooling proxy), nothing is
 * cached and every lookup reads the table, as before. While the listening connection is down, nothing is
 * cached either, and everything is dropped when it comes back (a notification may have been missed).
 * Only found clients are kept: an unknown client_id is read every time.
 */
export class ClientCache {
  readonly #db: Knex;
  readonly #options: ClientCacheOptions;
  /** Metadata as JSON: each lookup parses a fresh object, as oidc-provider hashes what it gets and must never see it changed. */
  readonly #entries: LRUCache<string, string>;
  /** Bumped by every invalidation; a read started before one must not fill the cache with what it found. */
  #generation = 0;
  #state: State = 'starting';
  #listener?: ListeningConnection;
  #retryMs: number;
  #retryTimer?: NodeJS.Timeout;

  constructor(db: Knex, options: Partial<ClientCacheOptions> = {}) {
    this.#db = db;
    this.#options = { ...DEFAULTS, ...options };
    this.#entries = new LRUCache({ max: this.#options.maxEntries, ttl: this.#options.ttlMs });
    this.#retryMs = this.#options.retryMinMs;
  }

  /** 'listening' when entries are kept; anything else means every lookup goes to the database. */
  get state(): State {
    return this.#state;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Starts listening in the background; lookups read the database until notifications are proved to work. */
  start(): void {
    void this.#listen();
  }

  /** The cached value for `key`, or what `load` reads (kept for next time if notifications work). */
  async get<T extends object>(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    if (this.#state !== 'listening') return load();
    const json = this.#entries.get(key);
    if (json !== undefined) return JSON.parse(json) as T;
    const generation = this.#generation;
    const value = await load();
    if (value !== undefined && generation === this.#generation && this.#state === 'listening') this.#entries.set(key, JSON.stringify(value));
    return value;
  }

  /** Drops one client ('*': all of them). */
  invalidate(key: string): void {
    this.#generation++;
    if (key === '*') this.#entries.clear();
    else this.#entries.delete(key);
  }

  async close(): Promise<void> {
    this.#state = 'closed';
    clearTimeout(this.#retryTimer);
    this.invalidate('*');
    await this.#dropListener();
  }

  async #listen(): Promise<void> {
    let connection: ListeningConnection | undefined;
    try {
      connection = (await this.#db.client.acquireRawConnection()) as ListeningConnection;
      if (this.#state === 'closed') {
        await this.#db.client.destroyRawConnection(connection);
        return;
      }
      this.#listener = connection;
      connection.connection?.stream?.unref?.(); // never keeps a process alive on its own
      const probe = `probe:${randomBytes(12).toString('base64url')}`;
      let probed: () => void = () => {};
      const arrived = new Promise<void>((resolve) => (probed = resolve));
      connection.on('notification', (message) => {
        if (message.channel !== CLIENTS_CHANNEL) return;
        if (message.payload === probe) probed();
        else this.invalidate(message.payload || '*');
      });
      connection.on('error', () => this.#lost(connection!));
      connection.on('end', () => this.#lost(connection!));
      await connection.query(`LISTEN ${CLIENTS_CHANNEL}`);
      // sent through the pool, i.e. another connection: proves that changes made elsewhere reach us
      await notifyClientChanged(this.#db, probe);
      const timer = new Promise<boolean>((resolve) => setTimeout(resolve, this.#options.probeTimeoutMs, false).unref());
      const works = await Promise.race([arrived.then(() => true), timer]);
      if (this.#closed() || this.#listener !== connection) return; // closed or lost while waiting
      if (!works) {
        this.#state = 'off';
        await connection.query('UNLISTEN *').catch(() => {});
        await this.#dropListener();
        return;
      }
      this.invalidate('*');
      this.#state = 'listening';
      this.#retryMs = this.#options.retryMinMs;
    } catch {
      if (connection && this.#listener === connection) this.#lost(connection);
      else if (this.#state !== 'closed' && this.#state !== 'off') this.#retryLater();
    }
  }

  /** A method, not a comparison inline, so TypeScript does not narrow the state across awaits. */
  #closed(): boolean {
    return this.#state === 'closed';
  }

  #lost(connection: ListeningConnection): void {
    if (this.#listener !== connection || this.#state === 'closed') return;
    this.invalidate('*');
    void this.#dropListener();
    if (this.#state !== 'off') this.#retryLater();
  }

  #retryLater(): void {
    this.#state = 'retrying';
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => void this.#listen(), this.#retryMs);
    this.#retryTimer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, this.#options.retryMaxMs);
  }

  async #dropListener(): Promise<void> {
    const connection = this.#listener;
    this.#listener = undefined;
    if (!connection) return;
    connection.removeAllListeners('notification');
    connection.removeAllListeners('end');
    connection.removeAllListeners('error');
    connection.on('error', () => {});
    await this.#db.client.destroyRawConnection(connection).catch(() => {});
  }
}

const caches = new WeakMap<Knex, ClientCache>();

/**
 * The cache of one database handle (shared by the providers built on it), started on first use. It learns of
 * changes only through notifyClientChanged, which every change in clients-service.ts sends.
 */
export function clientCacheFor(db: Knex): ClientCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = new ClientCache(db);
    caches.set(db, cache);
    cache.start();
  }
  return cache;
}

/** Drops a client from this process's cache of `db`, if it keeps one (a CLI process keeps none and starts none). */
export function forgetCachedClient(db: Knex, clientId: string): void {
  caches.get(db)?.invalidate(clientId);
}
