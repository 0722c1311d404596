import type { Knex } from 'knex';
import type { Config } from '../config/types.js';
import type { Locale } from '../i18n/index.js';
import type { Outbox } from '../mail/index.js';
import { AuthConnectError } from '../errors.js';

/** What the flows that send links need: the database (or the transaction), the config, the outbox. */
export interface MailingContext {
  db: Knex;
  config: Pick<Config, 'auth' | 'roles' | 'runtime'>;
  outbox: Outbox;
  /**
   * The per-address budget of links a stranger can ask for (forgot-password, resend): false when this
   * address has had its share this hour. Unset (admin, CLI): no budget.
   */
  linkBudget?: (email: string) => Promise<boolean>;
}

export class InvalidEmailTokenError extends AuthConnectError {
  constructor() {
    super('INVALID_EMAIL_TOKEN', 'the link is not valid, has expired or was already used; ask for a new one');
    this.name = 'InvalidEmailTokenError';
  }
}

/** A link to one of our pages with the token, in the mail's language: `/reset-password?token=…&lang=de`. */
export function linkWithToken(issuer: string, page: string, token: string, locale: Locale): string {
  const url = new URL(`${issuer}/${page}`);
  url.searchParams.set('token', token);
  url.searchParams.set('lang', locale);
  return url.href;
}
