import type { ChangeOrigin } from '../audit/actor.js';
import { recordAudit } from '../audit/audit-log.js';
import { normaliseEmail } from '../accounts/email.js';
import { findUserByEmail, findUserById, isUniqueViolation, updateUser, type UserRow } from '../accounts/users-repository.js';
import { UserExistsError } from '../accounts/accounts-service.js';
import type { Locale } from '../i18n/index.js';
import { noticeEmailChanged } from '../mail/security-notices.js';
import { consumeEmailToken, findUsableEmailToken, voidEmailTokens } from './email-tokens-repository.js';
import { hashEmailToken } from './email-tokens.js';
import { mailLink } from './send-link.js';
import { InvalidEmailTokenError, type MailingContext } from './mailing-context.js';

const CONFIRMING = ['verify_email', 'change_email'] as const;

/** Queues a confirmation link to the user's address, in `ctx.db` (the caller's transaction, e.g. the registration's). */
export async function sendVerificationLink(ctx: MailingContext, user: Pick<UserRow, 'id' | 'email'>, locale: Locale): Promise<void> {
  await mailLink(ctx, user.id, 'verify_email', user.email, locale);
}

/**
 * Anyone asks for a new link to an address (the login page's "send a new link"): it goes only to an
 * active account that still needs it, and the caller learns nothing either way (the route answers the same).
 */
export async function resendVerification(ctx: MailingContext, email: unknown, locale: Locale): Promise<void> {
  let address: string;
  try {
    address = normaliseEmail(email);
  } catch {
    return;
  }
  if (ctx.linkBudget && !(await ctx.linkBudget(address))) return;
  const user = await findUserByEmail(ctx.db, address);
  if (!user?.is_active || user.email_verified) return;
  await ctx.db.transaction((trx) => sendVerificationLink({ ...ctx, db: trx }, user, locale));
}

/** The address a confirmation link is for, if it still works (the page shows it before the user confirms). */
export async function peekConfirmation(ctx: Pick<MailingContext, 'db'>, token: unknown): Promise<{ email: string } | undefined> {
  const hash = hashEmailToken(token);
  const row = hash ? await findUsableEmailToken(ctx.db, hash, [...CONFIRMING]) : undefined;
  return row ? { email: row.email } : undefined;
}

export type Confirmation = { outcome: 'verified' | 'changed'; email: string; userId: string };

/**
 * Uses a confirmation link. A verification link confirms the address it was sent to, if it is still the
 * user's; a change link makes its address the user's (confirmed) and tells the old address. Using the
 * token, the change, its audit row and the notice are one transaction.
 */
export async function confirmEmail(ctx: MailingContext, token: unknown, origin: Omit<ChangeOrigin, 'via'>, locale: Locale): Promise<Confirmation> {
  const hash = hashEmailToken(token);
  if (!hash) throw new InvalidEmailTokenError();
  try {
    return await ctx.db.transaction(async (db): Promise<Confirmation> => {
      const row = await consumeEmailToken(db, hash, [...CONFIRMING]);
      const user = row ? await findUserById(db, row.user_id) : undefined;
      if (!row || !user?.is_active) throw new InvalidEmailTokenError();
      const audit = { userId: user.id, actor: { kind: 'user', userId: user.id } as const, ip: origin.ip, userAgent: origin.userAgent };
      if (row.purpose === 'verify_email') {
        if (row.email !== user.email) throw new InvalidEmailTokenError(); // the address changed since the link was sent
        await updateUser(db, user.id, { email_verified: true });
        await recordAudit(db, { ...audit, event: 'email.verified', details: { email: user.email } });
        return { outcome: 'verified', email: user.email, userId: user.id };
      }
      await updateUser(db, user.id, { email: row.email, email_verified: true });
      // links sent to the old address (resets, confirmations) must not work for the account any more
      await voidEmailTokens(db, user.id, ['verify_email', 'change_email', 'password_reset']);
      await recordAudit(db, { ...audit, event: 'email.changed', details: { from: user.email, to: row.email } });
      await noticeEmailChanged(ctx.outbox, db, user, row.email, row.id, locale);
      return { outcome: 'changed', email: row.email, userId: user.id };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new UserExistsError();
    throw error;
  }
}
