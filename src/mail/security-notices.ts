import type { Knex } from 'knex';
import type { Locale } from '../i18n/index.js';
import type { Outbox } from './outbox.js';

/** The user a notice goes to: their current address. */
interface Recipient {
  id: string;
  email: string;
}

/**
 * Security notices: mails that tell a user something changed on their account, queued in the transaction
 * of the change. Each names its event, so the same change never mails twice.
 */
export function noticePasswordChanged(outbox: Outbox, db: Knex, user: Recipient, changedAt: Date, locale: Locale): Promise<void> {
  return outbox.enqueue(db, {
    eventKey: `password_changed:${user.id}:${changedAt.toISOString()}`,
    to: user.email,
    template: 'password_changed',
    locale,
    data: { email: user.email },
  });
}

export function noticeApiKeyCreated(
  outbox: Outbox,
  db: Knex,
  user: Recipient,
  key: { id: string; name: string; prefix: string },
  locale: Locale,
): Promise<void> {
  return outbox.enqueue(db, {
    eventKey: `api_key_created:${key.id}`,
    to: user.email,
    template: 'api_key_created',
    locale,
    data: { email: user.email, name: key.name, prefix: key.prefix },
  });
}

/** To the address an account had before it changed: if the change was not theirs, they learn of it. */
export function noticeEmailChanged(outbox: Outbox, db: Knex, previous: Recipient, newEmail: string, eventId: string, locale: Locale): Promise<void> {
  return outbox.enqueue(db, { eventKey: `email_changed:${eventId}`, to: previous.email, template: 'email_changed', locale, data: { email: newEmail } });
}

/** A sign-in from a browser or client the account did not know (no valid device cookie or device_token). */
export function noticeNewDeviceSignIn(
  outbox: Outbox,
  db: Knex,
  user: Recipient,
  signIn: { id: string; at: Date; address: string; userAgent: string | null | undefined },
  locale: Locale,
): Promise<void> {
  return outbox.enqueue(db, {
    eventKey: `new_device_sign_in:${signIn.id}`,
    to: user.email,
    template: 'new_device_sign_in',
    locale,
    data: {
      email: user.email,
      time: signIn.at.toISOString().slice(0, 16).replace('T', ' '),
      address: signIn.address,
      agent: (signIn.userAgent || '?').slice(0, 200),
    },
  });
}

/**
 * A second factor added or removed, or a recovery code used to sign in (`method` then says how many are
 * left), queued in the change's transaction; `eventId` is unique to the change.
 */
export function noticeSecondFactorChanged(
  outbox: Outbox,
  db: Knex,
  user: Recipient,
  change: { kind: 'added' | 'removed' | 'recovery_code_used'; method: string; eventId: string },
  locale: Locale,
): Promise<void> {
  const template = change.kind === 'added' ? 'second_factor_added' : change.kind === 'removed' ? 'second_factor_removed' : 'recovery_code_used';
  return outbox.enqueue(db, {
    eventKey: `second_factor_${change.kind}:${change.eventId}`,
    to: user.email,
    template,
    locale,
    data: change.kind === 'recovery_code_used' ? { email: user.email, count: change.method } : { email: user.email, method: change.method },
  });
}
