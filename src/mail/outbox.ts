import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Locale } from '../i18n/index.js';
import type { MailSeal } from './mail-seal.js';
import type { MailTemplate } from './mail-catalogue.js';
import { insertMail, listOutboxRows, type MailStatus, type OutboxQuery, type OutboxRow } from './outbox-repository.js';

export type { MailStatus, OutboxQuery, OutboxRow };

export interface Mail {
  /** What happened, unique per recipient: the same event never mails the same address twice. */
  eventKey: string;
  to: string;
  template: MailTemplate;
  locale: Locale;
  /** The template's values (links included); stored sealed. */
  data: Record<string, string>;
}

/** Queues mail in the caller's transaction; the mail worker sends it after the commit. */
export interface Outbox {
  enqueue(db: Knex, mail: Mail): Promise<void>;
  /** Called once the mail's transaction has committed: the worker of this instance looks at once, not at its next poll. */
  onQueued(listener: () => void): void;
}

export function createOutbox(seal: MailSeal): Outbox {
  const listeners: (() => void)[] = [];
  const notify = () => {
    for (const listener of listeners) listener();
  };
  return {
    async enqueue(db, mail) {
      const id = randomUUID();
      const row = { id, event_key: mail.eventKey, recipient: mail.to, template: mail.template, locale: mail.locale, sealed_data: seal.seal(id, mail.data) };
      if (!(await insertMail(db, row))) return;
      const committed = (db as unknown as Partial<Knex.Transaction>).executionPromise;
      if (committed) committed.then(notify, () => {});
      else notify();
    },
    onQueued: (listener) => listeners.push(listener),
  };
}

/** The outbox as operators see it (admin API, CLI): never the sealed values. */
export function listOutbox(db: Knex, query: OutboxQuery) {
  return listOutboxRows(db, query).then((rows) => rows.map(publicOutboxRow));
}

export function publicOutboxRow(row: OutboxRow) {
  return {
    id: row.id,
    event: row.event_key.split(':')[0] ?? row.event_key,
    template: row.template,
    recipient: row.recipient,
    status: row.status,
    attempts: row.attempts,
    last_error: row.last_error,
    created_at: row.created_at.toISOString(),
    next_attempt_at: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    sent_at: row.sent_at?.toISOString() ?? null,
  };
}
