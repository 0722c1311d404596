import type { Knex } from 'knex';
import Provider, { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import { findUnstorableText, isStorableText } from '../input/storable-text.js';
import { withProviderErrors } from './database-unavailable.js';
import {
  consumePayload,
  deleteGrantOf,
  deletePayload,
  deletePayloadsOfGrant,
  findPayload,
  findPayloadByUid,
  findPayloadByUserCode,
  upsertPayload,
  type StoredPayload,
} from './payloads-repository.js';
import { takePrefetchedGrant } from './request-prefetch.js';

/**
 * oidc-provider's storage for every model except Client, in the oidc_payloads table. Lookups are scoped by
 * model, because introspection and revocation probe several models with the same value.
 */
export class KnexAdapter implements Adapter {
  readonly #db: Knex;
  readonly #model: string;
  readonly #onReplay: (grantId: string) => void;

  constructor(db: Knex, model: string, onReplay: (grantId: string) => void = () => {}) {
    this.#db = db;
    this.#model = model;
    this.#onReplay = onReplay;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
    // text from the request that Postgres cannot store (e.g. a NUL escaped inside the JSON `claims`
    // parameter) is the client's mistake: invalid_request, not a failed insert
    if (findUnstorableText(payload)) throw new errors.InvalidRequest('a request parameter contains a NUL byte or an unpaired surrogate');
    await withProviderErrors(() =>
      upsertPayload(this.#db, {
        model: this.#model,
        id,
        payload,
        grantId: payload.grantId,
        uid: payload.uid,
        userCode: payload.userCode,
        expiresAt: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
        successorSeed: this.successorSeed(),
      }),
    );
  }

  /** Stored with a new row of this model: refresh tokens compute their successor from it (successor-id.ts). */
  protected successorSeed(): string | undefined {
    return undefined;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (!isStorableText(id)) return undefined; // no such token, and no failed query
    // the refresh grant reads the token's grant with the token (refresh-retry.ts)
    const prefetched = this.#model === 'Grant' && Provider.ctx ? takePrefetchedGrant(Provider.ctx, id) : undefined;
    if (prefetched) return toPayload(prefetched.row);
    return toPayload(await withProviderErrors(() => findPayload(this.#db, this.#model, id)));
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    if (!isStorableText(uid)) return undefined; // no such token, and no failed query
    return toPayload(await withProviderErrors(() => findPayloadByUid(this.#db, this.#model, uid)));
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    if (!isStorableText(userCode)) return undefined; // no such token, and no failed query
    return toPayload(await withProviderErrors(() => findPayloadByUserCode(this.#db, this.#model, userCode)));
  }

  /**
   * oidc-provider checks `consumed` on a read made earlier in the request, so concurrent redemptions would
   * all pass; here the database decides. The loser gets invalid_grant (never a 500) and, as for a replay,
   * the whole grant is revoked (RFC 9700 §4.14, RFC 6749 §4.1.2).
   */
  async consume(id: string): Promise<void> {
    if (await withProviderErrors(() => consumePayload(this.#db, this.#model, id))) return;
    if (this.#model === 'PushedAuthorizationRequest') {
      throw new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
    }
    return this.refuseReuse(id);
  }

  /** A code or token presented again: its whole grant is revoked (RFC 9700 §4.14, RFC 6749 §4.1.2). */
  protected async refuseReuse(id: string): Promise<never> {
    const grantId = await withProviderErrors(() => deleteGrantOf(this.#db, this.#model, id));
    if (grantId) this.#onReplay(grantId);
    throw new errors.InvalidGrant(`${this.#model === 'RefreshToken' ? 'refresh token' : 'grant'} already used`);
  }

  async destroy(id: string): Promise<void> {
    await withProviderErrors(() => deletePayload(this.#db, this.#model, id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await withProviderErrors(() => deletePayloadsOfGrant(this.#db, this.#model, grantId));
  }
}

export function toPayload(row: StoredPayload | undefined): AdapterPayload | undefined {
  if (!row) return undefined;
  return row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : (row.payload as AdapterPayload);
}
