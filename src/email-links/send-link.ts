import type { Locale } from '../i18n/index.js';
import type { MailTemplate } from '../mail/mail-catalogue.js';
import { deleteOldEmailTokens } from './email-tokens-repository.js';
import { issueEmailToken, type TokenPurpose } from './email-tokens.js';
import { linkWithToken, type MailingContext } from './mailing-context.js';

/** Which mail carries each kind of link, and which of our pages the link opens. */
const LINKS: Record<TokenPurpose, { template: MailTemplate; page: string }> = {
  verify_email: { template: 'verify_email', page: 'verify-email' },
  change_email: { template: 'change_email', page: 'verify-email' },
  password_reset: { template: 'password_reset', page: 'reset-password' },
};

/**
 * A new single-use token for `to` and the mail that carries its link, both in `ctx.db` (the caller's
 * transaction): the mail exists exactly when the token does, and the token's id names its event (queued once).
 */
export async function mailLink(ctx: MailingContext, userId: string, purpose: TokenPurpose, to: string, locale: Locale): Promise<void> {
  const { template, page } = LINKS[purpose];
  // a user's old tokens go when they get a new one: the table stays as small as its users' recent links
  await deleteOldEmailTokens(ctx.db, userId);
  const { token, row } = await issueEmailToken(ctx.db, userId, purpose, to);
  await ctx.outbox.enqueue(ctx.db, {
    eventKey: `${purpose}:${row.id}`,
    to,
    template,
    locale,
    data: { email: to, link: linkWithToken(ctx.config.runtime.issuer, page, token, locale) },
  });
}
