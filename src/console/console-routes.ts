import Router from '@koa/router';
import type { AccountsContext } from '../accounts/accounts-service.js';
import type { ClientsContext } from '../clients/clients-service.js';
import type { MailingContext } from '../email-links/mailing-context.js';
import { isAuthConnectError } from '../errors.js';
import type { CsrfProtection } from '../interactions/csrf.js';
import { renderErrorPage } from '../interactions/error-page.js';
import type { PageContext } from '../interactions/render-page.js';
import type { KeyEncryptionKey } from '../keys/key-encryption.js';
import { listSigningKeys } from '../keys/signing-keys-service.js';
import type { RequestHandler } from '../oidc/call-token-endpoint.js';
import { recentActivity } from '../overview/activity-service.js';
import { MANAGE_SYSTEM } from '../rbac/management-permissions.js';
import { endSessions } from '../sessions/sessions-service.js';
import { auditPages } from './audit-pages.js';
import { barChart } from './bar-chart.js';
import { clientsPages } from './clients-pages.js';
import { consolePages, day, holds, mayUseConsole } from './console-page.js';
import { consoleSignIn, type ConsoleState } from './console-sign-in.js';
import { systemPages } from './system-pages.js';
import { usersPages } from './users-pages.js';

export interface ConsoleDeps {
  accounts: AccountsContext;
  mailing: MailingContext;
  csrf: CsrfProtection;
  page: PageContext;
  providerHandler: RequestHandler;
  issuer: string;
  keyEncryptionKey: KeyEncryptionKey;
  onKeysRotated: () => Promise<void>;
}

/**
 * /console: the admin console, server-rendered (eta), signed in through our own login (console-sign-in.ts).
 * Every page calls the services the admin API calls, with the operator as caller, behind the same
 * permissions (manage_users, manage_system); every change is a form with a CSRF token bound to the
 * console's session, answered with a redirect (or, for a new secret, a page shown once).
 */
export function consoleRoutes(deps: ConsoleDeps): Router<ConsoleState> {
  const { accounts, page } = deps;
  const router = new Router<ConsoleState>({ prefix: '/console' });
  const signIn = consoleSignIn(deps);
  const pages = consolePages(deps);
  const clients: ClientsContext = { db: accounts.db, roles: accounts.config.roles };

  // a refused or invalid change is a page saying why (403 for a permission, 404 for what is gone, 4xx for input)
  router.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (!isAuthConnectError(error) || error.status >= 500) throw error;
      const code = error.status === 403 ? 'access_denied' : error.status === 404 ? 'not_found' : 'invalid_request';
      renderErrorPage(ctx, page, { code, detail: error.message, status: error.status });
    }
  });

  router.get('/callback', async (ctx) => {
    if (ctx.query.error) return renderErrorPage(ctx, page, { code: String(ctx.query.error).slice(0, 64), status: 400 });
    await signIn.callback(ctx);
  });

  router.use(signIn.requireSignIn);

  router.get('/', async (ctx) => {
    const { caller } = pages.state(ctx);
    if (!mayUseConsole(caller)) {
      return pages.render(ctx, 'console-forbidden', (tr) => tr.t('console.forbidden.title'), { missing: undefined }, 403);
    }
    const [activity, keys] = await Promise.all([
      recentActivity(accounts),
      holds(caller, MANAGE_SYSTEM) ? listSigningKeys(accounts.db, accounts.config.auth.jwt.algorithm) : undefined,
    ]);
    const hourOf = (hour: Date) => hour.toISOString().slice(11, 16);
    const chart = (pick: (h: (typeof activity.hours)[number]) => number) => barChart(activity.hours.map((h) => ({ label: hourOf(h.hour), value: pick(h) })));
    pages.render(ctx, 'console-overview', (tr) => tr.t('console.overview.title'), {
      totals: activity.totals,
      lastHour: activity.lastHour,
      lastDay: activity.lastDay,
      charts: [
        { id: 'logins', title: 'console.overview.chart_logins', chart: chart((h) => h.logins) },
        { id: 'failed', title: 'console.overview.chart_failed', chart: chart((h) => h.failedLogins) },
        { id: 'sessions', title: 'console.overview.chart_sessions', chart: chart((h) => h.sessionsStarted) },
      ],
      keys: keys?.map((k) => ({ kid: k.kid, alg: k.alg, status: k.status, signFrom: day(k.sign_from), retireAt: day(k.retire_at) })),
    });
  });

  usersPages(router, pages, deps);
  clientsPages(router, pages, clients);
  systemPages(router, pages, deps);
  auditPages(router, pages, accounts.db);

  router.post('/logout', ...pages.changes, async (ctx) => {
    const { user, sessionId } = pages.state(ctx);
    await endSessions(accounts, { kind: 'one', userId: user.id, sessionId }, 'signed_out', { kind: 'user', userId: user.id });
    signIn.signOut(ctx);
    ctx.status = 303;
    ctx.redirect('/');
  });

  return router;
}
