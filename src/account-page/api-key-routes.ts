import type Router from '@koa/router';
import type { Context } from 'koa';
import { createApiKey, listApiKeys, publicApiKey, revokeApiKey } from '../apikeys/api-keys-service.js';
import { isAuthConnectError } from '../errors.js';
import { isUuid } from '../input/uuid.js';
import { renderErrorPage } from '../interactions/error-page.js';
import { pageTranslator, renderPage } from '../interactions/render-page.js';
import { noticeApiKeyCreated } from '../mail/security-notices.js';
import type { Caller } from '../rbac/caller.js';
import { permissionsOfRole } from '../rbac/roles.js';
import { minuteOf, type AccountForms, type RequireSignIn } from './account-forms.js';
import type { AccountPageDeps } from './account-page-deps.js';
import { noticeOf } from './account-notices.js';
import type { AccountPageState } from './account-sign-in.js';

/**
 * /account/api-keys: the user's personal API keys. A new key carries at most what the user's role holds
 * (the page acts for the user, with the user's own permissions) and is shown once, on the answer to the form.
 */
export function apiKeyRoutes(router: Router<AccountPageState>, deps: AccountPageDeps, forms: AccountForms, requireSignIn: RequireSignIn): void {
  const { csrf, page, accounts, mailing } = deps;
  const { state, form, checkedForm, body, done } = forms;
  const keys = { db: accounts.db, config: accounts.config };
  const { default_lifetime_days: defaultDays, max_lifetime_days: maxDays } = accounts.config.auth.api_keys;
  const described = accounts.config.roles.permissions ?? {};

  const render = async (ctx: Context, extra: { created?: { key: string; name: string }; error?: string } = {}, status = 200) => {
    const { user, sessionId } = state(ctx);
    const tr = pageTranslator(ctx, page);
    const rows = (await listApiKeys(accounts.db, user.id)).filter((row) => row.is_active).map(publicApiKey);
    renderPage(
      ctx,
      page,
      tr,
      'account-api-keys',
      tr.t('account.api_keys'),
      {
        current: 'api-keys',
        csrf: csrf.issue(ctx, sessionId),
        notice: noticeOf(ctx, tr),
        // each with the operator's description from roles.json, where there is one
        permissions: permissionsOfRole(accounts.config.roles, user.role).map((name) => ({
          name,
          description: Object.hasOwn(described, name) ? described[name] : undefined,
        })),
        defaultDays,
        maxDays,
        keys: rows.map((key) => ({
          id: key.id,
          name: key.name,
          prefix: key.prefix,
          permissions: key.permissions.join(', '),
          created: minuteOf(new Date(key.created_at)),
          expires: key.expires_at ? minuteOf(new Date(key.expires_at)) : undefined,
          lastUsed: key.last_used_at ? minuteOf(new Date(key.last_used_at)) : undefined,
        })),
        ...extra,
      },
      status,
    );
  };

  router.get('/api-keys', requireSignIn, (ctx) => render(ctx));

  router.post('/api-keys', requireSignIn, form, checkedForm, async (ctx) => {
    const { user } = state(ctx);
    const tr = pageTranslator(ctx, page);
    const fields = body(ctx);
    // unchecked boxes send nothing: a key with none ticked carries no permission (never "all of them")
    const ticked = fields.permissions === undefined ? [] : [fields.permissions].flat().map(String);
    const days = typeof fields.expires_in_days === 'string' && fields.expires_in_days.trim() ? Number(fields.expires_in_days) : undefined;
    const caller: Caller = { actor: { kind: 'user', userId: user.id }, permissions: permissionsOfRole(accounts.config.roles, user.role) };
    try {
      const { key, row } = await createApiKey(
        keys,
        caller,
        user,
        { name: String(fields.name ?? ''), permissions: ticked, expiresInDays: days },
        (trx, created) => noticeApiKeyCreated(mailing.outbox, trx, user, publicApiKey(created), tr.locale),
      );
      await render(ctx, { created: { key, name: row.name } });
    } catch (error) {
      if (!isAuthConnectError(error) || error.status >= 500) throw error;
      await render(ctx, { error: tr.t('account.key_refused', { reason: error.message }) }, 400);
    }
  });

  router.post('/api-keys/:id/revoke', requireSignIn, form, checkedForm, async (ctx) => {
    const { user } = state(ctx);
    const id = String(ctx.params.id);
    if (!isUuid(id)) return renderErrorPage(ctx, page, { code: 'invalid_request', detail: 'no such API key', status: 404 });
    await revokeApiKey(accounts.db, id, { kind: 'user', userId: user.id }, user.id);
    done(ctx, '/account/api-keys', 'key_revoked');
  });
}
