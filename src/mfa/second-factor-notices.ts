import type { Knex } from 'knex';
import type { UserRow } from '../accounts/users-repository.js';

/** A change to a user's second factors that the user is told of by mail (issue: security notices). */
export interface SecondFactorChange {
  kind: 'added' | 'removed' | 'recovery_code_used';
  /** as the mail shows it: "authenticator app", "passkey", "every second factor" */
  method: string;
  /** unique to this change, so one change never mails twice */
  eventId: string;
}

/**
 * Queues the notice of a second-factor change in the change's own transaction (`db`), so it goes exactly
 * when the change commits. Unset where no outbox is wired (unit tests of the services).
 */
export type SecondFactorNotifier = (db: Knex, user: Pick<UserRow, 'id' | 'email'>, change: SecondFactorChange) => Promise<void>;
