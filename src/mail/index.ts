import type { Knex } from 'knex';
import type { Config } from '../config/types.js';
import type { Logger } from '../logger.js';
import { mailSeal } from './mail-seal.js';
import { createMailTransport } from './mail-transport.js';
import { startMailWorker, type MailWorker } from './mail-worker.js';
import { createOutbox, type Outbox } from './outbox.js';

export { createOutbox, listOutbox, type Mail, type MailStatus, type Outbox } from './outbox.js';
export { mailSeal } from './mail-seal.js';
export type { MailWorker } from './mail-worker.js';

/**
 * The outbox services write to and, in a server, this instance's worker that sends it (started here,
 * stopped at shutdown). Mail queued through this outbox wakes the worker once its transaction commits.
 */
export function startMail(deps: { db: Knex; config: Config; serverSecret: string; log: Logger }): { outbox: Outbox; worker: MailWorker } {
  const seal = mailSeal(deps.serverSecret);
  const outbox = createOutbox(seal);
  const transport = createMailTransport(deps.config.runtime, deps.log, deps.config.auth.mail.send_timeout_seconds);
  deps.log.info(`mail goes to ${transport.description}`);
  const worker = startMailWorker({ db: deps.db, config: deps.config, seal, transport, log: deps.log });
  outbox.onQueued(worker.wake);
  return { outbox, worker };
}
