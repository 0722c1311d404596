import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

const stores = new Map<string, Map<string, Entry>>();
const byGrant = new Map<string, Set<string>>();
const byUid = new Map<string, string>();
const byUserCode = new Map<string, string>();

/**
 * oidc-provider's storage for the anchor: plain Maps that never evict (the provider's own dev memory adapter
 * drops entries beyond 1000, which a benchmark passes in a second), expiry checked on read. In memory and in
 * the same process: the cheapest storage the engine can have, which is what the anchor is for.
 */
export class MapAdapter implements Adapter {
  readonly #model: string;
  readonly #store: Map<string, Entry>;

  constructor(model: string) {
    this.#model = model;
    if (!stores.has(model)) stores.set(model, new Map());
    this.#store = stores.get(model)!;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    this.#store.set(id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    if (payload.grantId) {
      if (!byGrant.has(payload.grantId)) byGrant.set(payload.grantId, new Set());
      byGrant.get(payload.grantId)!.add(`${this.#model}:${id}`);
    }
    if (payload.uid) byUid.set(payload.uid, id);
    if (payload.userCode) byUserCode.set(payload.userCode, id);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const entry = this.#store.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#store.delete(id);
      return undefined;
    }
    return entry.payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = byUid.get(uid);
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = byUserCode.get(userCode);
    return id ? this.find(id) : undefined;
  }

  async consume(id: string): Promise<void> {
    const entry = this.#store.get(id);
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.#store.delete(id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const key of byGrant.get(grantId) ?? []) {
      const split = key.indexOf(':');
      stores.get(key.slice(0, split))?.delete(key.slice(split + 1));
    }
    byGrant.delete(grantId);
  }
}

/** Entries held, for the anchor's memory report. */
export function storedEntries(): number {
  let total = 0;
  for (const store of stores.values()) total += store.size;
  return total;
}
