import { createHash } from 'node:crypto';

/**
 * The DPoP proofs seen recently (RFC 9449 §11.1), so a captured proof cannot be sent again while its `iat`
 * is still fresh. Keyed by a digest of key thumbprint and `jti`; an entry lives as long as a proof is
 * accepted. In memory, per process: several instances of an API each keep their own. When full, the oldest
 * entries go first (a Map keeps insertion order).
 */
export class DpopReplayCache {
  readonly #seen = new Map<string, number>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /** Records the proof; false when it was seen before and has not expired. */
  firstUse(jkt: string, jti: string, expiresAtMs: number, nowMs: number): boolean {
    const key = createHash('sha256').update(`${jkt}\u0000${jti}`).digest('base64url');
    const seenUntil = this.#seen.get(key);
    if (seenUntil !== undefined && seenUntil > nowMs) return false;
    this.#seen.delete(key);
    for (const [oldest, until] of this.#seen) {
      if (until > nowMs && this.#seen.size < this.#maxEntries) break;
      this.#seen.delete(oldest);
    }
    this.#seen.set(key, expiresAtMs);
    return true;
  }
}
