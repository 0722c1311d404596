import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Knex } from 'knex';
import { listAuditEvents, type AuditQuery } from '../audit/audit-log.js';
import { AuthConnectError } from '../errors.js';
import { isUuid } from '../input/uuid.js';
import { parseTimestamp } from '../input/timestamp.js';
import { MANAGE_SYSTEM } from '../rbac/management-permissions.js';
import { day, paging, type consolePages } from './console-page.js';
import type { ConsoleState } from './console-sign-in.js';

const PAGE_SIZE = 50;
/** An export is one answer: past this many rows, narrow the filter (the time range) and export again. */
const EXPORT_LIMIT = 10_000;
const FILTERS = ['actor', 'event', 'user', 'client', 'since', 'until'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

/** The audit log: filter by actor, event, user, client and time, page through it, export the filter as JSON lines. */
export function auditPages(router: Router<ConsoleState>, pages: ReturnType<typeof consolePages>, db: Knex) {
  const { render, needs } = pages;

  router.get('/audit', needs(MANAGE_SYSTEM), async (ctx) => {
    const filters = filtersOf(ctx);
    const { page, limit, offset } = paging(ctx, PAGE_SIZE);
    const events = await listAuditEvents(db, { ...queryOf(filters), limit: limit + 1, offset });
    const kept = new URLSearchParams(Object.entries(filters).filter(([, v]) => v)).toString();
    render(ctx, 'console-audit', (tr) => tr.t('console.audit.title'), {
      filters,
      events: events.slice(0, limit).map((e) => ({
        at: day(e.occurred_at as Date),
        event: String(e.event),
        outcome: String(e.outcome),
        actor: String(e.actor_user_id ?? e.actor_client_id ?? e.actor_type ?? ''),
        userId: e.user_id ? String(e.user_id) : '',
        client: e.client_id ? String(e.client_id) : '',
        ip: e.ip ? String(e.ip) : '',
      })),
      page,
      more: events.length > limit,
      kept: kept ? `${kept}&` : '',
      exportHref: `/console/audit.jsonl${kept ? `?${kept}` : ''}`,
    });
  });

  router.get('/audit.jsonl', needs(MANAGE_SYSTEM), async (ctx) => {
    const events = await listAuditEvents(db, { ...queryOf(filtersOf(ctx)), limit: EXPORT_LIMIT, offset: 0 });
    ctx.type = 'application/jsonl; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Disposition', 'attachment; filename="audit-events.jsonl"');
    ctx.body = events.map((e) => JSON.stringify(e)).join('\n') + (events.length ? '\n' : '');
  });
}

function filtersOf(ctx: Context): Filters {
  const text = (name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string).trim().slice(0, 200) : '');
  return Object.fromEntries(FILTERS.map((name) => [name, text(name)])) as Filters;
}

/** The filter as the audit log's query; a user id or time that cannot be one is refused with a 400 page. */
function queryOf(filters: Filters): Omit<AuditQuery, 'limit' | 'offset'> {
  if (filters.user && !isUuid(filters.user)) throw new AuthConnectError('INVALID_REQUEST', 'the user filter takes a user id');
  const instant = (text: string, name: string) => {
    if (!text) return undefined;
    const date = parseTimestamp(text);
    if (!date) throw new AuthConnectError('INVALID_REQUEST', `${name} takes a date, or a date and time (ISO 8601)`);
    return date;
  };
  return {
    actor: filters.actor || undefined,
    event: filters.event || undefined,
    userId: filters.user || undefined,
    clientId: filters.client || undefined,
    since: instant(filters.since, 'since'),
    until: instant(filters.until, 'until'),
  };
}
