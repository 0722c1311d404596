import Provider, { type AdapterPayload, type KoaContextWithOIDC } from 'oidc-provider';
import { isStorableText } from '../input/storable-text.js';
import { redeemCodeStartingSession, type SessionsContext } from '../sessions/sessions-service.js';
import { withProviderErrors } from './database-unavailable.js';
import { findCodeWithContext } from './grant-source-repository.js';
import { KnexAdapter, toPayload } from './knex-adapter.js';
import { prefetchAccount, prefetchGrant, type PrefetchedAccount } from './request-prefetch.js';

/**
 * Authorization codes, redeemed in three round trips: find() reads the code with its grant and its user in
 * one statement (left for the provider's grant and account lookups); consume() marks the code used and, only
 * if this request did, starts the user's session (redeeming a code is a login) in one statement; the refresh
 * token is the third. Everywhere but the token endpoint's code grant (the authorization endpoint saving the
 * code, revocation of its grant) this is the plain adapter.
 */
export class AuthorizationCodeAdapter extends KnexAdapter {
  readonly #sessions: SessionsContext;
  readonly #presented = new WeakMap<object, { id: string; account?: PrefetchedAccount }>();

  constructor(sessions: SessionsContext, onReplay: (grantId: string) => void) {
    super(sessions.db, 'AuthorizationCode', onReplay);
    this.#sessions = sessions;
  }

  override async find(id: string): Promise<AdapterPayload | undefined> {
    const ctx = codeGrantRequest();
    if (!ctx) return super.find(id);
    if (!isStorableText(id)) return undefined;
    const found = await withProviderErrors(() => findCodeWithContext(this.#sessions.db, 'AuthorizationCode', id));
    if (!found) return undefined;
    const { grantId, accountId } = found.payload as { grantId?: string; accountId?: string };
    if (grantId && accountId) {
      const account = { userId: accountId, grantId, user: found.user, sessionId: null };
      prefetchGrant(ctx, grantId, found.grant);
      this.#presented.set(ctx, { id, account });
    }
    return toPayload(found);
  }

  override async consume(id: string): Promise<void> {
    const ctx = codeGrantRequest();
    const presented = ctx && this.#presented.get(ctx);
    const account = presented?.id === id ? presented.account : undefined;
    // a disabled or deleted user gets no session; the provider's account lookup refuses the code after this
    if (!ctx || !account?.user?.is_active) return super.consume(id);
    const client = ctx.oidc.client;
    const redeemed = await withProviderErrors(() =>
      redeemCodeStartingSession(
        this.#sessions,
        { model: 'AuthorizationCode', id },
        { userId: account.userId, clientId: client!.clientId, grantId: account.grantId, ip: ctx.ip, userAgent: ctx.get('user-agent') },
      ),
    );
    if (!redeemed.consumed) return this.refuseReuse(id);
    prefetchAccount(ctx, { ...account, sessionId: redeemed.sessionId });
  }
}

function codeGrantRequest(): KoaContextWithOIDC | undefined {
  const ctx = Provider.ctx;
  return ctx?.oidc?.route === 'token' && ctx.oidc.params?.grant_type === 'authorization_code' && ctx.oidc.client ? ctx : undefined;
}
