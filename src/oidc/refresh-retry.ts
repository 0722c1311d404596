import type { Knex } from 'knex';
import Provider, { errors, type AdapterPayload, type KoaContextWithOIDC } from 'oidc-provider';
import { isStorableText } from '../input/storable-text.js';
import { withProviderErrors } from './database-unavailable.js';
import { KnexAdapter, toPayload } from './knex-adapter.js';
import { findRefreshTokenWithContext } from './grant-source-repository.js';
import { mayShareRotation, rotateRefreshToken, touchSessionForRetry } from './refresh-rotation-repository.js';
import { prefetchAccount, prefetchGrant } from './request-prefetch.js';
import { newSuccessorSeed, type SuccessorId } from './successor-id.js';

export interface RefreshTokenAdapterOptions {
  /** tokens.refresh_token_reuse_grace_seconds; at 0 every reuse revokes the grant */
  graceSeconds: number;
  /** session.session_timeout_minutes: a refresh needs an active session, and marks it used */
  sessionTimeoutMinutes: number;
  successorId: SuccessorId;
  onReplay: (grantId: string) => void;
  /** a retry answered: lost answers are otherwise invisible, unlike replays */
  onRetry?: (grantId: string | undefined) => void;
}

/** What find() read for the token being refreshed in this request. */
interface Presented {
  id: string;
  retryable: boolean;
  successorSeed: string | null;
  sessionId: string | null;
}

/** The rotation decided at consume(), carried out at the successor's upsert(). */
interface Rotating extends Presented {
  successorId: string;
}

/**
 * The refresh grant in two round trips, with reuse detection (RFC 9700 §4.14.2) that does not sign out a
 * client whose answer was lost (a dropped connection, an instance killed mid-request) and that retries with
 * the token it still holds.
 *
 * 1. find() reads the token with its grant, its user and its grant's active session in one statement, and
 *    leaves grant and account for the provider's next lookups (request-prefetch.ts).
 * 2. consume() only notes the rotation; the successor's upsert() carries it out in one statement: the
 *    session marked used, the token consumed if nobody did before, the successor inserted only then. The
 *    successor's value is computed from the rotated token and the seed stored with it (successor-id.ts), so
 *    every presentation of one token names the same successor.
 *
 * Presenting a consumed token again revokes the grant, as always, unless it is a retry: the same client,
 * within the window after the rotation (database clock), while the successor has not been used, and while
 * grant and session live. A retry gets that same successor again, with a fresh access token: nothing new
 * enters the chain. Client, expiry, sender binding, grant and session are checked by oidc-provider before it
 * calls consume(); another client is refused there ("client mismatch", invalid_grant) and cannot end a grant
 * that is not its own. Concurrent presentations queue on the token's row: one rotates, the others share its
 * successor within the window, or are replays without one.
 */
export class RefreshTokenAdapter extends KnexAdapter {
  readonly #db: Knex;
  readonly #options: RefreshTokenAdapterOptions;
  readonly #presented = new WeakMap<object, Presented>();
  readonly #rotating = new WeakMap<object, Rotating>();

  constructor(db: Knex, options: RefreshTokenAdapterOptions) {
    super(db, 'RefreshToken', options.onReplay);
    this.#db = db;
    this.#options = options;
  }

  /**
   * At the refresh grant, a consumed token that may be retried is handed over without `consumed`: seeing it,
   * the provider would revoke at once; this way the rotation decides, after the provider's other checks.
   */
  override async find(id: string): Promise<AdapterPayload | undefined> {
    const ctx = refreshGrantRequest();
    if (!ctx) return super.find(id);
    if (!isStorableText(id)) return undefined;
    const { graceSeconds, sessionTimeoutMinutes } = this.#options;
    const found = await withProviderErrors(() => findRefreshTokenWithContext(this.#db, { id, graceSeconds, sessionTimeoutMinutes }));
    if (!found) return undefined;
    const { grantId, accountId } = found.payload as { grantId?: string; accountId?: string };
    if (grantId && accountId) {
      prefetchGrant(ctx, grantId, found.grant);
      prefetchAccount(ctx, { userId: accountId, grantId, user: found.user, sessionId: found.sessionId });
    }
    this.#presented.set(ctx, { id, retryable: found.retryable, successorSeed: found.successorSeed, sessionId: found.sessionId });
    return found.retryable ? (found.payload as AdapterPayload) : toPayload(found);
  }

  override async consume(id: string): Promise<void> {
    const ctx = refreshGrantRequest();
    const presented = ctx && this.#presented.get(ctx);
    if (!ctx || presented?.id !== id) return super.consume(id);
    this.#rotating.set(ctx, { ...presented, successorId: this.#options.successorId(id, presented.successorSeed) });
  }

  protected override successorSeed(): string {
    return newSuccessorSeed();
  }

  override async upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
    const ctx = refreshGrantRequest();
    const rotating = ctx && this.#rotating.get(ctx);
    if (!rotating) return super.upsert(id, payload, expiresIn);
    this.#rotating.delete(ctx);
    // saving another value would fork the chain: one successor in the first answer, another in every retry
    if (rotating.successorId !== id)
      throw new Error('the rotated refresh token was not given the successor chosen for it (RefreshToken.prototype.generateTokenId was bypassed)');
    const { sessionId } = rotating;
    if (!sessionId) throw new errors.InvalidGrant('the session of this refresh token has ended');
    const grantId = payload.grantId;
    return rotating.retryable
      ? this.#answerRetry({ ...rotating, sessionId }, grantId)
      : this.#rotate(
          { ...rotating, sessionId },
          { id, payload, grantId, expiresAt: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null, successorSeed: newSuccessorSeed() },
        );
  }

  async #rotate(
    rotating: Rotating & { sessionId: string },
    successor: { id: string; payload: object; grantId?: string; expiresAt: Date | null; successorSeed: string },
  ) {
    const { graceSeconds, sessionTimeoutMinutes } = this.#options;
    const rotation = await withProviderErrors(() =>
      rotateRefreshToken(this.#db, { rotatedId: rotating.id, sessionId: rotating.sessionId, sessionTimeoutMinutes, successor }),
    );
    if (!rotation.sessionActive) throw new errors.InvalidGrant('the session of this refresh token has ended');
    if (rotation.rotated) return;
    // another request rotated this token since find(): share its successor, within the window
    const shareable =
      graceSeconds > 0 && (await withProviderErrors(() => mayShareRotation(this.#db, { rotatedId: rotating.id, successorId: successor.id, graceSeconds })));
    if (!shareable) return this.refuseReuse(rotating.id);
    this.#options.onRetry?.(successor.grantId);
  }

  async #answerRetry(rotating: Rotating & { sessionId: string }, grantId: string | undefined) {
    const retry = await withProviderErrors(() =>
      touchSessionForRetry(this.#db, {
        sessionId: rotating.sessionId,
        sessionTimeoutMinutes: this.#options.sessionTimeoutMinutes,
        successorId: rotating.successorId,
      }),
    );
    if (!retry.sessionActive) throw new errors.InvalidGrant('the session of this refresh token has ended');
    // the successor was used since find(): the client moved on, so the old token again is a replay
    if (!retry.successorUnused) return this.refuseReuse(rotating.id);
    this.#options.onRetry?.(grantId);
  }

  /** The successor noted at consume() in this request for the token it rotates. */
  successorOf(ctx: KoaContextWithOIDC, rotatedId: string): string | undefined {
    const rotating = this.#rotating.get(ctx);
    return rotating?.id === rotatedId ? rotating.successorId : undefined;
  }
}

/**
 * The provider names a rotated token's successor itself (a random value, in save()); this gives it the value
 * computed from the rotated token instead. Every other refresh token (codes, logins, device flow) keeps the
 * provider's random value.
 */
export function issueComputedSuccessors(provider: Provider, adapter: RefreshTokenAdapter): void {
  const prototype = provider.RefreshToken.prototype as unknown as { generateTokenId?(this: unknown): string };
  const random = prototype.generateTokenId;
  if (typeof random !== 'function') throw new Error('oidc-provider has no RefreshToken.prototype.generateTokenId to hook');
  prototype.generateTokenId = function generateTokenId(this: unknown): string {
    const ctx = refreshGrantRequest();
    const rotated = ctx?.oidc.entities.RotatedRefreshToken?.jti;
    return (ctx && rotated && adapter.successorOf(ctx, rotated)) || random.call(this);
  };
}

function refreshGrantRequest(): KoaContextWithOIDC | undefined {
  const ctx = Provider.ctx;
  return ctx?.oidc?.route === 'token' && ctx.oidc.params?.grant_type === 'refresh_token' ? ctx : undefined;
}
