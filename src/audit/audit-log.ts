import type { Knex } from 'knex';
import { statement, write } from '../db/deferred-writes.js';
import { actorColumns, type Actor } from './actor.js';
import { toStorable } from '../input/storable-text.js';
import { isUuid } from '../input/uuid.js';

export interface AuditEvent {
  event: string;
  outcome?: 'success' | 'failure';
  /** Who made the change; for events a user causes themselves (login, logout) the subject is enough. */
  actor?: Actor;
  userId?: string | null;
  clientId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** Never a secret: no passwords, tokens, keys or hashes. */
  details?: Record<string, unknown>;
}

export async function recordAudit(db: Knex, event: AuditEvent): Promise<void> {
  const actor = actorColumns(event.actor);
  await write(
    db,
    statement(
      `insert into audit_events (event, outcome, actor_type, actor_user_id, actor_client_id, user_id, client_id, ip, user_agent, details)
       values (?, ?, ?, ?::uuid, ?, ?::uuid, ?, ?, ?, ?::jsonb)`,
      [
        event.event,
        event.outcome ?? 'success',
        actor.actor_type,
        actor.actor_user_id,
        actor.actor_client_id,
        event.userId ?? null,
        event.clientId ?? null,
        event.ip ?? null,
        event.userAgent?.slice(0, 512) ?? null,
        // whatever a client typed must not turn an audit write into a 500 (jsonb refuses NUL and lone surrogates)
        JSON.stringify(toStorable(event.details ?? {})),
      ],
    ),
  );
}

export interface AuditQuery {
  event?: string;
  /** Who made the change: a user's id or a client's id. */
  actor?: string;
  userId?: string;
  clientId?: string;
  outcome?: 'success' | 'failure';
  since?: Date;
  until?: Date;
  limit: number;
  offset: number;
}

export async function listAuditEvents(db: Knex, query: AuditQuery): Promise<Record<string, unknown>[]> {
  return db('audit_events')
    .modify((q) => {
      if (query.event) q.where('event', query.event);
      // a user's id is a uuid (a uuid column refuses other text); anything else names a client
      if (query.actor) q.where(isUuid(query.actor) ? 'actor_user_id' : 'actor_client_id', query.actor);
      if (query.userId) q.where('user_id', query.userId);
      if (query.clientId) q.where('client_id', query.clientId);
      if (query.outcome) q.where('outcome', query.outcome);
      if (query.since) q.where('occurred_at', '>=', query.since);
      if (query.until) q.where('occurred_at', '<', query.until);
    })
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit)
    .offset(query.offset);
}
