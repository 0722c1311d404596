import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import type { ChangeOrigin } from '../audit/actor.js';
import type { MessageKey } from '../i18n/index.js';
import type { CsrfProtection } from '../interactions/csrf.js';
import { renderErrorPage } from '../interactions/error-page.js';
import { pageTranslator, renderPage, type PageContext, type PageTranslator } from '../interactions/render-page.js';
import { lacking, type Caller } from '../rbac/caller.js';
import { MANAGE_SYSTEM, MANAGE_USERS } from '../rbac/management-permissions.js';
import type { ConsoleState } from './console-sign-in.js';

/** The console's sections, each with the permission the admin API asks for the same work. */
const SECTIONS: { href: string; label: MessageKey; needs: string }[] = [
  { href: '/console/users', label: 'console.nav.users', needs: MANAGE_USERS },
  { href: '/console/sessions', label: 'console.nav.sessions', needs: MANAGE_USERS },
  { href: '/console/roles', label: 'console.nav.roles', needs: MANAGE_USERS },
  { href: '/console/clients', label: 'console.nav.clients', needs: MANAGE_SYSTEM },
  { href: '/console/api-keys', label: 'console.nav.api_keys', needs: MANAGE_SYSTEM },
  { href: '/console/keys', label: 'console.nav.keys', needs: MANAGE_SYSTEM },
  { href: '/console/audit', label: 'console.nav.audit', needs: MANAGE_SYSTEM },
];

/** The notices a page shows after a change (`?done=`), from a closed set: the address never puts text on a page. */
const NOTICES = ['created', 'saved', 'disabled', 'enabled', 'sessions_ended', 'mfa_reset', 'reset_sent', 'deleted', 'rotated', 'revoked', 'ended'] as const;

export const holds = (caller: Caller, permission: string) => lacking(caller, [permission]).length === 0;
export const mayUseConsole = (caller: Caller) => holds(caller, MANAGE_USERS) || holds(caller, MANAGE_SYSTEM);

export type FormBody = Record<string, string | string[] | undefined>;

/** What every console route shares: rendering inside the console's frame, permission gates, CSRF on forms. */
export function consolePages(deps: { csrf: CsrfProtection; page: PageContext }) {
  const { csrf, page } = deps;
  const state = (ctx: Context) => ctx.state as ConsoleState;

  /** A console page: the navigation shows only the sections the operator may use (none for others). */
  function render(ctx: Context, view: string, title: (tr: PageTranslator) => string, data: object, status = 200): void {
    const tr = pageTranslator(ctx, page);
    const { caller, user, sessionId } = state(ctx);
    const nav = mayUseConsole(caller)
      ? [
          { href: '/console', label: tr.t('console.nav.overview') },
          ...SECTIONS.filter((s) => holds(caller, s.needs)).map((s) => ({ href: s.href, label: tr.t(s.label) })),
        ]
      : [];
    const done = NOTICES.find((notice) => notice === ctx.query.done);
    const current = ctx.path.replace(/\/$/, '') || '/console';
    renderPage(
      ctx,
      page,
      tr,
      view,
      title(tr),
      {
        wide: true,
        styles: ['/assets/console.css'],
        nav: nav.map((link) => ({ ...link, current: link.href === current || (link.href !== '/console' && current.startsWith(`${link.href}/`)) })),
        operator: user.email,
        csrf: csrf.issue(ctx, sessionId),
        notice: done && tr.t(`console.done.${done}`),
        ...data,
      },
      status,
    );
  }

  /** Refuses with a 403 page, naming the permission, unless the operator holds it (the admin API's rule). */
  const needs =
    (...permissions: string[]) =>
    async (ctx: Context, next: Next) => {
      const missing = lacking(state(ctx).caller, permissions);
      if (!missing.length) return next();
      const tr = pageTranslator(ctx, page);
      render(ctx, 'console-forbidden', () => tr.t('console.forbidden.title'), { missing: missing.join(', ') }, 403);
    };

  const form = bodyParser({ enableTypes: ['form'], formLimit: '64kb', onError: () => {} });
  /** Every change is a form carrying the CSRF token bound to the console's session, else a 403 page. */
  const checkedForm = async (ctx: Context, next: Next) => {
    const body = formBody(ctx);
    if (!csrf.verify(ctx, state(ctx).sessionId, body.csrf)) {
      renderErrorPage(ctx, page, { code: 'invalid_request', detail: 'the form expired or did not come from this site; reload the page', status: 403 });
      return;
    }
    await next();
  };

  return { render, needs, changes: [form, checkedForm] as const, state };
}

export const formBody = (ctx: Context): FormBody => ((ctx.request as { body?: unknown }).body ?? {}) as FormBody;

/** One text field of a form ('' when absent); a repeated field keeps its first value. */
export const field = (body: FormBody, name: string): string => {
  const value = body[name];
  return (Array.isArray(value) ? (value[0] ?? '') : (value ?? '')).trim();
};

/** Every value of a field that may repeat (checkboxes). */
export const fields = (body: FormBody, name: string): string[] => {
  const value = body[name];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).map((v) => v.trim()).filter(Boolean);
};

/** One URI a line, as an operator pastes them into a text area. */
export const lines = (text: string): string[] =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);

export const consoleOrigin = (ctx: Context): ChangeOrigin => ({ via: 'console', ip: ctx.ip, userAgent: ctx.get('user-agent') || null });

/** After a change: back to a page, with a notice it shows (Post/Redirect/Get, so a reload repeats nothing). */
export function seeOther(ctx: Context, to: string, notice: string): void {
  ctx.status = 303;
  ctx.redirect(`${to}${to.includes('?') ? '&' : '?'}done=${notice}`);
}

/** The page number of `?page=` (from 1), and the rows to skip for it. */
export function paging(ctx: Context, size: number): { page: number; limit: number; offset: number } {
  const page = Math.min(Math.max(Number.parseInt(String(ctx.query.page ?? '1'), 10) || 1, 1), 10_000);
  return { page, limit: size, offset: (page - 1) * size };
}

export const day = (date: Date | string | null | undefined) => (date ? new Date(date).toISOString().slice(0, 16).replace('T', ' ') : '');
