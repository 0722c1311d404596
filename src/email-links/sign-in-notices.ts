import { randomUUID } from 'node:crypto';
import type { AccountsContext } from '../accounts/accounts-service.js';
import { noticeNewDeviceSignIn } from '../mail/security-notices.js';
import type { MailingContext } from './mailing-context.js';

/**
 * The hook `authenticate` calls after a sign-in from a device new to the account: a notice to the user, in
 * the server's default language (a sign-in through the API names none). Unset when mail.new_device_notice is off.
 */
export function newDeviceNotice(mailing: MailingContext): AccountsContext['onNewDeviceSignIn'] {
  if (!mailing.config.auth.mail.new_device_notice) return undefined;
  const locale = mailing.config.auth.pages.default_locale;
  return (user, source) => noticeNewDeviceSignIn(mailing.outbox, mailing.db, user, { id: randomUUID(), at: new Date(), ...source }, locale);
}
