import type Router from '@koa/router';
import type { Context } from 'koa';
import { getUser, listAccounts, type AccountsContext } from '../accounts/accounts-service.js';
import { createUserAs, endUserSessionsAs, sendPasswordResetAs, updateUserAs } from '../accounts/user-administration.js';
import { listAuditEvents } from '../audit/audit-log.js';
import type { MailingContext } from '../email-links/mailing-context.js';
import { isUuid } from '../input/uuid.js';
import { resetSecondFactorsAs } from '../mfa/mfa-administration.js';
import { MANAGE_SYSTEM, MANAGE_USERS } from '../rbac/management-permissions.js';
import { listSessions } from '../sessions/sessions-service.js';
import { consoleOrigin, day, field, formBody, holds, paging, seeOther, type consolePages } from './console-page.js';
import type { ConsoleState } from './console-sign-in.js';

const PAGE_SIZE = 25;

/**
 * Users: search, create, and one user's page with its actions. Each action calls the same service as the
 * admin API with the operator as caller, so the same bounds apply (no role beyond one's own permissions,
 * not oneself) and each change is audited with via=console.
 */
export function usersPages(router: Router<ConsoleState>, pages: ReturnType<typeof consolePages>, deps: { accounts: AccountsContext; mailing: MailingContext }) {
  const { render, needs, changes, state } = pages;
  const { accounts } = deps;
  const roles = Object.keys(accounts.config.roles.roles);
  const userId = (id: string | undefined) => (id && isUuid(id) ? id : '00000000-0000-0000-0000-000000000000');

  router.get('/users', needs(MANAGE_USERS), async (ctx) => {
    const search = typeof ctx.query.q === 'string' ? ctx.query.q.slice(0, 254) : '';
    const { page, limit, offset } = paging(ctx, PAGE_SIZE);
    const { users, total } = await listAccounts(accounts, { search: search || undefined, limit, offset });
    render(ctx, 'console-users', (tr) => tr.t('console.users.title'), {
      search,
      roles,
      defaultRole: accounts.config.auth.registration.default_role,
      users: users.map((u) => ({ id: u.id, email: u.email, role: u.role, active: u.is_active, created: day(u.created_at) })),
      page,
      pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
      total,
      query: search ? `q=${encodeURIComponent(search)}&` : '',
    });
  });

  router.post('/users', needs(MANAGE_USERS), ...changes, async (ctx) => {
    const body = formBody(ctx);
    const user = await createUserAs(
      accounts,
      state(ctx).caller,
      { email: field(body, 'email'), password: field(body, 'password'), role: field(body, 'role') },
      consoleOrigin(ctx),
    );
    seeOther(ctx, `/console/users/${user.id}`, 'created');
  });

  router.get('/users/:id', needs(MANAGE_USERS), async (ctx) => {
    const user = await getUser(accounts, userId(ctx.params.id));
    const { caller, user: operator } = state(ctx);
    const [sessions, trail] = await Promise.all([
      listSessions(accounts, user.id),
      // the audit log is manage_system's, as in the admin API: without it the trail is not shown
      holds(caller, MANAGE_SYSTEM) ? listAuditEvents(accounts.db, { userId: user.id, limit: 20, offset: 0 }) : undefined,
    ]);
    render(ctx, 'console-user', (tr) => tr.t('console.user.title', { email: user.email }), {
      user: { id: user.id, email: user.email, role: user.role, active: user.is_active, verified: user.email_verified, created: day(user.created_at) },
      self: user.id === operator.id,
      roles,
      sessions: sessions.map((s) => ({ id: s.id, client: s.client_id, ip: s.ip ?? '', started: day(s.created_at), lastUsed: day(s.last_used_at) })),
      trail: trail?.map((e) => ({
        at: day(e.occurred_at as Date),
        event: String(e.event),
        outcome: String(e.outcome),
        via: String((e.details as { via?: string })?.via ?? ''),
      })),
    });
  });

  const action = (path: string, run: (ctx: Context, id: string) => Promise<string>) =>
    router.post(`/users/:id/${path}`, needs(MANAGE_USERS), ...changes, async (ctx) => {
      const id = userId(ctx.params.id);
      seeOther(ctx, `/console/users/${id}`, await run(ctx, id));
    });

  action('role', async (ctx, id) => {
    await updateUserAs(accounts, state(ctx).caller, id, { role: field(formBody(ctx), 'role') }, consoleOrigin(ctx));
    return 'saved';
  });
  action('disable', async (ctx, id) => {
    await updateUserAs(accounts, state(ctx).caller, id, { is_active: false }, consoleOrigin(ctx));
    return 'disabled';
  });
  action('enable', async (ctx, id) => {
    await updateUserAs(accounts, state(ctx).caller, id, { is_active: true }, consoleOrigin(ctx));
    return 'enabled';
  });
  action('end-sessions', async (ctx, id) => {
    await endUserSessionsAs(accounts, state(ctx).caller, id, consoleOrigin(ctx));
    return 'sessions_ended';
  });
  action('reset-mfa', async (ctx, id) => {
    await resetSecondFactorsAs(accounts, state(ctx).caller, id, consoleOrigin(ctx));
    return 'mfa_reset';
  });
  action('password-reset', async (ctx, id) => {
    // an operator's link is in the server's default language, as from the admin API: we know no better for the user
    await sendPasswordResetAs(deps.mailing, state(ctx).caller, id, consoleOrigin(ctx), accounts.config.auth.pages.default_locale);
    return 'reset_sent';
  });
}
