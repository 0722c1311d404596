import type { Knex } from 'knex';

export type MailStatus = 'pending' | 'sent' | 'failed';

export interface OutboxRow {
  id: string;
  event_key: string;
  recipient: string;
  template: string;
  locale: string;
  sealed_data: string;
  status: MailStatus;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
}

export type NewOutboxRow = Pick<OutboxRow, 'id' | 'event_key' | 'recipient' | 'template' | 'locale' | 'sealed_data'>;

/** Adds a mail unless this event already mailed this recipient (the unique key): true when added. */
export async function insertMail(db: Knex, row: NewOutboxRow): Promise<boolean> {
  const inserted = await db('mail_outbox').insert(row).onConflict(['event_key', 'recipient']).ignore().returning('id');
  return inserted.length > 0;
}

/**
 * Claims up to `limit` due mails for this worker: their next attempt moves `leaseSeconds` ahead (no other
 * worker takes them meanwhile) and the attempt is counted. SKIP LOCKED lets instances claim side by side
 * without waiting for each other or taking the same row.
 */
export async function claimDueMail(db: Knex, limit: number, leaseSeconds: number): Promise<OutboxRow[]> {
  const { rows } = await db.raw<{ rows: OutboxRow[] }>(
    `update mail_outbox set attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => ?)
      where id in (select id from mail_outbox where status = 'pending' and next_attempt_at <= now()
                    order by next_attempt_at limit ? for update skip locked)
      returning *`,
    [leaseSeconds, limit],
  );
  return rows;
}

export async function markSent(db: Knex, id: string): Promise<void> {
  await db('mail_outbox').where({ id, status: 'pending' }).update({ status: 'sent', sent_at: db.fn.now(), last_error: null });
}

/** Another try in `delaySeconds`, or none (`failed`) when attempts are used up. */
export async function markAttemptFailed(db: Knex, id: string, error: string, delaySeconds: number | undefined): Promise<void> {
  const update =
    delaySeconds === undefined
      ? { status: 'failed', last_error: error }
      : { last_error: error, next_attempt_at: db.raw('now() + make_interval(secs => ?)', [delaySeconds]) };
  await db('mail_outbox').where({ id, status: 'pending' }).update(update);
}

export interface OutboxQuery {
  status?: MailStatus;
  limit: number;
  offset: number;
}

export async function listOutboxRows(db: Knex, query: OutboxQuery): Promise<OutboxRow[]> {
  return db('mail_outbox')
    .modify((q) => {
      if (query.status) q.where('status', query.status);
    })
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(query.limit)
    .offset(query.offset);
}
