import type Router from '@koa/router';
import { listAppAccess, revokeAppAccess } from '../app-access/app-access-service.js';
import { isClientId } from '../input/client-id.js';
import { consentItems } from '../interactions/consent-items.js';
import { renderErrorPage } from '../interactions/error-page.js';
import { pageTranslator, renderPage } from '../interactions/render-page.js';
import { ACCOUNT_PAGE_CLIENT_ID } from '../oidc/account-page-client.js';
import { endSessions, endUserSessions, listSessions } from '../sessions/sessions-service.js';
import { minuteOf, type AccountForms, type RequireSignIn } from './account-forms.js';
import type { AccountPageDeps } from './account-page-deps.js';
import { noticeOf } from './account-notices.js';
import type { AccountPageState } from './account-sign-in.js';

/** /account/sessions (where the user is signed in) and /account/apps (the apps they let in). */
export function sessionAndAppRoutes(router: Router<AccountPageState>, deps: AccountPageDeps, forms: AccountForms, requireSignIn: RequireSignIn): void {
  const { csrf, page, accounts } = deps;
  const sessions = { db: accounts.db, config: accounts.config };
  const { state, form, checkedForm, body, origin, done } = forms;
  /** An app's name as registered, or its client_id when it has none (or was deleted since). */
  const appName = async (clientId: string) => (await deps.findClient(clientId).catch(() => undefined))?.clientName ?? clientId;

  router.get('/sessions', requireSignIn, async (ctx) => {
    const { user, sessionId } = state(ctx);
    const tr = pageTranslator(ctx, page);
    const rows = await listSessions(sessions, user.id);
    renderPage(ctx, page, tr, 'account-sessions', tr.t('account.sessions'), {
      current: 'sessions',
      csrf: csrf.issue(ctx, sessionId),
      notice: noticeOf(ctx, tr),
      sessions: await Promise.all(
        rows.map(async (row) => ({
          id: row.id,
          app: await appName(row.client_id),
          ip: row.ip,
          userAgent: row.user_agent?.slice(0, 160),
          started: minuteOf(row.created_at),
          lastUsed: minuteOf(row.last_used_at),
          current: row.id === sessionId,
        })),
      ),
    });
  });

  router.post('/sessions/others/end', requireSignIn, form, checkedForm, async (ctx) => {
    const { user, sessionId } = state(ctx);
    await endUserSessions(sessions, user.id, 'ended_by_user', { actor: { kind: 'user', userId: user.id }, keepSessionId: sessionId });
    done(ctx, '/account/sessions', 'sessions_ended');
  });

  router.post('/sessions/:id/end', requireSignIn, form, checkedForm, async (ctx) => {
    const { user, sessionId } = state(ctx);
    const id = String(ctx.params.id);
    // this page's own session ends with "sign out", which also clears the cookie
    if (id === sessionId)
      return renderErrorPage(ctx, page, { code: 'invalid_request', detail: 'use "Sign out of this page" to end this session', status: 400 });
    const ended = await endSessions(sessions, { kind: 'one', userId: user.id, sessionId: id }, 'ended_by_user', { kind: 'user', userId: user.id });
    if (!ended.length) return renderErrorPage(ctx, page, { code: 'invalid_request', detail: 'no such active session', status: 404 });
    done(ctx, '/account/sessions', 'session_ended');
  });

  router.get('/apps', requireSignIn, async (ctx) => {
    const { user, sessionId } = state(ctx);
    const tr = pageTranslator(ctx, page);
    const apps = await listAppAccess(sessions, user.id, [ACCOUNT_PAGE_CLIENT_ID]);
    renderPage(ctx, page, tr, 'account-apps', tr.t('account.apps'), {
      current: 'apps',
      csrf: csrf.issue(ctx, sessionId),
      notice: noticeOf(ctx, tr),
      apps: await Promise.all(
        apps.map(async (app) => ({
          clientId: app.clientId,
          name: await appName(app.clientId),
          since: minuteOf(app.since),
          // the consent page's own words for what the app may do
          allows: consentItems(
            tr,
            app.scopes.filter((scope) => scope !== 'openid'),
            app.permissions,
            accounts.config.roles.permissions,
          ),
        })),
      ),
    });
  });

  router.post('/apps/revoke', requireSignIn, form, checkedForm, async (ctx) => {
    const { user } = state(ctx);
    const clientId = body(ctx).client_id;
    if (typeof clientId !== 'string' || !isClientId(clientId) || clientId === ACCOUNT_PAGE_CLIENT_ID) {
      return renderErrorPage(ctx, page, { code: 'invalid_request', detail: 'no such app', status: 400 });
    }
    await revokeAppAccess(sessions, user.id, clientId, origin(ctx));
    done(ctx, '/account/apps', 'app_revoked');
  });
}
