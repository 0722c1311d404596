import type { Context } from 'koa';
import type { MessageKey, Translator } from '../i18n/index.js';

/** What `?done=` may say after a change on /account (anything else in the query shows nothing). */
const NOTICES = {
  saved: 'account.changed',
  passkey: 'account.passkey_added',
  password: 'account.password_changed',
  email_sent: 'account.email_change_sent',
  verification_sent: 'account.verification_sent',
  session_ended: 'account.session_ended',
  sessions_ended: 'account.sessions_ended',
  app_revoked: 'account.app_revoked',
  key_revoked: 'account.key_revoked',
} as const satisfies Record<string, MessageKey>;

export function noticeOf(ctx: Pick<Context, 'query'>, tr: Pick<Translator, 't'>): string | undefined {
  const done = ctx.query.done;
  return typeof done === 'string' && Object.hasOwn(NOTICES, done) ? tr.t(NOTICES[done as keyof typeof NOTICES]) : undefined;
}
