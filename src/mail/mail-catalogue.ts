import type { MessageKey } from '../i18n/index.js';

/** What each mail says, by catalogue key: a subject, paragraphs, an optional button (data.link), closing lines. */
interface MailDefinition {
  subject: MessageKey;
  body: MessageKey[];
  action?: MessageKey;
  closing: MessageKey[];
}

export const MAILS = {
  verify_email: { subject: 'mail.verify_email.subject', body: ['mail.verify_email.body'], action: 'mail.verify_email.action', closing: ['mail.ignore'] },
  password_reset: {
    subject: 'mail.password_reset.subject',
    body: ['mail.password_reset.body'],
    action: 'mail.password_reset.action',
    closing: ['mail.ignore'],
  },
  change_email: { subject: 'mail.change_email.subject', body: ['mail.change_email.body'], action: 'mail.change_email.action', closing: ['mail.ignore'] },
  email_changed: { subject: 'mail.email_changed.subject', body: ['mail.email_changed.body'], closing: ['mail.not_you'] },
  password_changed: { subject: 'mail.password_changed.subject', body: ['mail.password_changed.body'], closing: ['mail.not_you'] },
  api_key_created: { subject: 'mail.api_key_created.subject', body: ['mail.api_key_created.body'], closing: ['mail.not_you'] },
  new_device_sign_in: { subject: 'mail.new_device.subject', body: ['mail.new_device.body'], closing: ['mail.not_you'] },
  second_factor_added: { subject: 'mail.second_factor_added.subject', body: ['mail.second_factor_added.body'], closing: ['mail.not_you'] },
  second_factor_removed: { subject: 'mail.second_factor_removed.subject', body: ['mail.second_factor_removed.body'], closing: ['mail.not_you'] },
  recovery_code_used: { subject: 'mail.recovery_code_used.subject', body: ['mail.recovery_code_used.body'], closing: ['mail.not_you'] },
} as const satisfies Record<string, MailDefinition>;

export type MailTemplate = keyof typeof MAILS;

export function isMailTemplate(name: string): name is MailTemplate {
  return Object.hasOwn(MAILS, name);
}
