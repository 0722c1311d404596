import type { Knex } from 'knex';
import type { AuthConfig, RuntimeSettings } from '../config/types.js';
import type { Logger } from '../logger.js';
import type { MailSeal } from './mail-seal.js';
import type { MailTransport } from './mail-transport.js';
import { claimDueMail, markAttemptFailed, markSent, type OutboxRow } from './outbox-repository.js';
import { renderMail } from './render-mail.js';

export interface MailWorkerDeps {
  db: Knex;
  config: { auth: Pick<AuthConfig, 'mail' | 'server'>; runtime: Pick<RuntimeSettings, 'mailFrom'> };
  seal: MailSeal;
  transport: MailTransport;
  log: Logger;
}

export interface MailWorker {
  /** Look for due mail now (a mail was just queued). */
  wake(): void;
  /** No new claims; waits for the sends in progress and closes the transport. */
  stop(): Promise<void>;
}

const BATCH = 10;

/** The wait before attempt `attempts + 1`: retry_initial_seconds, doubling, at most retry_max_seconds. */
export function retryDelaySeconds(attempts: number, settings: AuthConfig['mail']): number {
  return Math.min(settings.retry_max_seconds, settings.retry_initial_seconds * 2 ** Math.max(0, attempts - 1));
}

/**
 * Sends the outbox. Every instance runs one: due rows are claimed with FOR UPDATE SKIP LOCKED and their
 * next attempt pushed a lease ahead, so instances share the work and a mail is sent by one of them; a row is
 * marked sent only after the transport accepted it, so a crash or a failed send leaves it to a later try
 * (after the lease, or after the backoff) and nothing is lost. Attempts are counted when claimed; after
 * max_attempts the row is marked failed and stays in the outbox with its last error.
 */
export function startMailWorker(deps: MailWorkerDeps): MailWorker {
  const settings = deps.config.auth.mail;
  // long enough for a send that uses every timeout of the transport (connect, greeting, socket) and then some
  const leaseSeconds = settings.send_timeout_seconds * 4;
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  const schedule = () => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(run, settings.poll_seconds * 1000);
    timer.unref();
  };

  function run(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = drain()
      .catch((error) => deps.log.warn({ err: error }, 'the mail worker could not read the outbox; it tries again'))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          run();
        } else schedule();
      });
  }

  async function drain(): Promise<void> {
    while (!stopped) {
      const batch = await claimDueMail(deps.db, BATCH, leaseSeconds);
      await Promise.all(batch.map(deliver));
      if (batch.length < BATCH) return;
    }
  }

  async function deliver(row: OutboxRow): Promise<void> {
    const data = deps.seal.open(row.id, row.sealed_data);
    if (!data) {
      // sealed under another JWT_SECRET: no try can succeed
      await markAttemptFailed(deps.db, row.id, 'the mail cannot be opened with this server secret (JWT_SECRET changed?)', undefined);
      deps.log.error({ mail: row.id }, 'a queued mail cannot be opened with this server secret; marked failed');
      return;
    }
    try {
      const organization = deps.config.auth.server.organization_name;
      const rendered = renderMail(row.template, row.locale, data, organization);
      await deps.transport.send({ id: row.id, from: sender(deps.config.runtime.mailFrom, organization), to: row.recipient, ...rendered });
    } catch (error) {
      const reason = describeSendError(error);
      const delay = row.attempts >= settings.max_attempts ? undefined : retryDelaySeconds(row.attempts, settings);
      await markAttemptFailed(deps.db, row.id, reason, delay);
      deps.log.warn(
        { mail: row.id, template: row.template, attempts: row.attempts, retryInSeconds: delay ?? null },
        `sending a mail failed (${reason}); ${delay === undefined ? 'no tries left: marked failed' : `next try in ${delay} s`}`,
      );
      return;
    }
    await markSent(deps.db, row.id);
  }

  run();
  return {
    wake: run,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      deps.transport.close();
    },
  };
}

/** MAIL_FROM as given when it names a sender ("Name <address>"), else the address under the organisation's name. */
function sender(mailFrom: string | undefined, organization: string): string | { name: string; address: string } {
  const from = mailFrom ?? 'no-reply@localhost';
  return from.includes('<') ? from : { name: organization, address: from };
}

/** The error as the outbox records it: a short line, never the message's content. */
function describeSendError(error: unknown): string {
  const e = error as { code?: string; responseCode?: number; message?: string };
  const detail = [e.code, e.responseCode].filter(Boolean).join(' ');
  return `${detail ? `${detail}: ` : ''}${String(e.message ?? error)}`.slice(0, 500);
}
