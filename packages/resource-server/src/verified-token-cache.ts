import { createHash } from 'node:crypto';

interface Entry<T> {
  value: T;
  expiresAtMs: number;
}

/**
 * Remembers verified tokens so a busy API checks a token's signature once, not on every request.
 * Keys are SHA-256 digests, so the cache never holds a usable token. An entry lives until the token's `exp`
 * and never past it (no clock tolerance here: tolerance is for the first verification, not for reuse).
 * At most `maxEntries` are kept; the least recently used goes first (a Map keeps insertion order, and a hit
 * re-inserts its entry at the end).
 */
export class VerifiedTokenCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(maxEntries: number, now: () => number = Date.now) {
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cache key of a token: compute it once when a lookup may be followed by set(). */
  keyOf(token: string): string {
    return digest(token);
  }

  get(token: string, key = digest(token)): T | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (this.#now() >= entry.expiresAtMs) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` until `expiresAtMs` (the token's exp); a token already expired is not kept. */
  set(token: string, value: T, expiresAtMs: number, key = digest(token)): void {
    if (this.#maxEntries === 0 || this.#now() >= expiresAtMs) return;
    this.#entries.delete(key);
    // the first key is the least recently used; an expired entry nobody asks for again drifts there too
    while (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { value, expiresAtMs });
  }

  clear(): void {
    this.#entries.clear();
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
