import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import Provider, { type AdapterPayload, type KoaContextWithOIDC } from 'oidc-provider';
import { isStorableText } from '../input/storable-text.js';
import { withProviderErrors } from './database-unavailable.js';
import { KnexAdapter, toPayload } from './knex-adapter.js';
import { consumeRefreshToken, findRefreshToken, isConsumed, recentSealedSuccessor } from './payloads-repository.js';
import type { SuccessorSeal } from './successor-seal.js';

export interface RefreshRetryOptions {
  /** tokens.refresh_token_reuse_grace_seconds; above 0 (at 0 the plain KnexAdapter is used) */
  graceSeconds: number;
  seal: SuccessorSeal;
  onReplay: (grantId: string) => void;
  /** a retry answered: lost answers are otherwise invisible, unlike replays */
  onRetry?: (grantId: string | undefined) => void;
}

interface ChosenSuccessor {
  rotated: string;
  successor: string;
}

/**
 * Refresh-token reuse detection (RFC 9700 §4.14.2) that does not sign out a client whose answer was lost
 * (a dropped connection, an instance killed mid-request) and that retries with the token it still holds.
 *
 * Rotating a token marks it consumed and, in the same statement, picks the value of its successor and
 * remembers it, sealed, in the token's row. Presenting a consumed token again revokes the grant, as always,
 * unless it is a retry: the same client, within the window after the rotation (database clock), while the
 * successor has not been used, and while grant and session live. A retry gets that same successor again,
 * with a fresh access token: nothing new enters the chain. Client, expiry, sender binding, grant and session
 * are checked by oidc-provider before it calls consume(); another client is refused there ("client
 * mismatch", invalid_grant) and, as at the revocation endpoint, cannot end a grant that is not its own.
 *
 * Exactly once: the first consume() wins the single update and decides the successor; every later or
 * concurrent presentation reads that decision back, so one token never has two successors.
 */
export class RefreshTokenAdapter extends KnexAdapter {
  readonly #db: Knex;
  readonly #graceSeconds: number;
  readonly #seal: SuccessorSeal;
  readonly #onRetry: (grantId: string | undefined) => void;
  /** per request: the successor consume() chose, until the provider names its new refresh token */
  readonly #chosen = new WeakMap<object, ChosenSuccessor>();

  constructor(db: Knex, options: RefreshRetryOptions) {
    super(db, 'RefreshToken', options.onReplay);
    this.#db = db;
    this.#graceSeconds = options.graceSeconds;
    this.#seal = options.seal;
    this.#onRetry = options.onRetry ?? (() => {});
  }

  /**
   * At the refresh grant, a consumed token that may be retried is handed over without `consumed`: seeing it,
   * the provider would revoke at once; this way consume() decides, after the provider's other checks.
   */
  override async find(id: string): Promise<AdapterPayload | undefined> {
    if (!refreshGrantRequest()) return super.find(id);
    if (!isStorableText(id)) return undefined;
    const row = await withProviderErrors(() => findRefreshToken(this.#db, id, this.#graceSeconds));
    return row?.retryable ? (row.payload as AdapterPayload) : toPayload(row);
  }

  override async consume(id: string): Promise<void> {
    const ctx = refreshGrantRequest();
    if (!ctx) return super.consume(id);
    const successor = randomBytes(32).toString('base64url'); // as long and random as the provider's own values
    if (await withProviderErrors(() => consumeRefreshToken(this.#db, id, this.#seal.seal(id, successor)))) {
      this.#chosen.set(ctx, { rotated: id, successor });
      return;
    }
    const remembered = await this.#successorForRetry(id);
    if (!remembered) return this.refuseReuse(id);
    this.#chosen.set(ctx, { rotated: id, successor: remembered });
    this.#onRetry(ctx.oidc.entities.RefreshToken?.grantId);
  }

  async #successorForRetry(id: string): Promise<string | undefined> {
    const sealed = await withProviderErrors(() => recentSealedSuccessor(this.#db, id, this.#graceSeconds));
    const successor = sealed ? this.#seal.open(id, sealed) : undefined;
    if (!successor) return undefined;
    // once the successor was used, the client has moved on: the old token again is a replay
    if (await withProviderErrors(() => isConsumed(this.#db, 'RefreshToken', successor))) return undefined;
    return successor;
  }

  /**
   * Should the provider ever name the successor without the hook below (an oidc-provider change), saving its
   * value would fork the chain: one successor in the first answer, another in every retry. Fail instead.
   */
  override async upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
    const ctx = refreshGrantRequest();
    const chosen = ctx && this.#chosen.get(ctx);
    if (chosen && chosen.successor !== id)
      throw new Error('the rotated refresh token was not given the successor chosen for it (RefreshToken.prototype.generateTokenId was bypassed)');
    return super.upsert(id, payload, expiresIn);
  }

  /** The successor chosen in this request for the token it rotated. */
  chosenSuccessor(ctx: KoaContextWithOIDC, rotatedId: string): string | undefined {
    const chosen = this.#chosen.get(ctx);
    return chosen?.rotated === rotatedId ? chosen.successor : undefined;
  }
}

/**
 * The provider names a rotated token's successor itself (a random value, in save()); this gives it the value
 * consume() chose instead, so a retry is answered with the very token the first answer carried. Every other
 * refresh token (codes, logins, device flow) keeps the provider's random value.
 */
export function issueChosenSuccessors(provider: Provider, adapter: RefreshTokenAdapter): void {
  const prototype = provider.RefreshToken.prototype as unknown as { generateTokenId?(this: unknown): string };
  const random = prototype.generateTokenId;
  if (typeof random !== 'function') {
    throw new Error('oidc-provider has no RefreshToken.prototype.generateTokenId to hook: set tokens.refresh_token_reuse_grace_seconds to 0');
  }
  prototype.generateTokenId = function generateTokenId(this: unknown): string {
    const ctx = refreshGrantRequest();
    const rotated = ctx?.oidc.entities.RotatedRefreshToken?.jti;
    return (ctx && rotated && adapter.chosenSuccessor(ctx, rotated)) || random.call(this);
  };
}

function refreshGrantRequest(): KoaContextWithOIDC | undefined {
  const ctx = Provider.ctx;
  return ctx?.oidc?.route === 'token' && ctx.oidc.params?.grant_type === 'refresh_token' ? ctx : undefined;
}
