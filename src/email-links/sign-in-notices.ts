import { randomUUID } from 'node:crypto';
import type { AccountsContext } from '../accounts/accounts-service.js';
import { noticeNewDeviceSignIn, noticeSecondFactorChanged } from '../mail/security-notices.js';
import type { SecondFactorNotifier } from '../mfa/second-factor-notices.js';
import type { MailingContext } from './mailing-context.js';

/**
 * The hook `authenticate` calls after a sign-in from a device new to the account: a notice to the user
 * when mail.new_device_notice is on, in the server's default language (a sign-in through the API names none).
 * The setting is read at each sign-in, so building the routes reads nothing.
 */
export function newDeviceNotice(mailing: MailingContext): NonNullable<AccountsContext['onNewDeviceSignIn']> {
  return async (user, source) => {
    const { auth } = mailing.config;
    if (!auth.mail.new_device_notice) return;
    await noticeNewDeviceSignIn(mailing.outbox, mailing.db, user, { id: randomUUID(), at: new Date(), ...source }, auth.pages.default_locale);
  };
}

/** The mail telling a user of a change to their second factors, queued in the change's transaction, in the server's default language. */
export function secondFactorNotice(mailing: Pick<MailingContext, 'config' | 'outbox'>): SecondFactorNotifier {
  return (db, user, change) => noticeSecondFactorChanged(mailing.outbox, db, user, change, mailing.config.auth.pages.default_locale);
}
