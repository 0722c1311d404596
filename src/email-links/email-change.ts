import type { ChangeOrigin } from '../audit/actor.js';
import { recordAudit } from '../audit/audit-log.js';
import { UserExistsError, verifyCurrentPassword, type AccountsContext } from '../accounts/accounts-service.js';
import { assertEmailNotDeceptive } from '../accounts/deceptive-email.js';
import { normaliseEmail } from '../accounts/email.js';
import { findUserByEmail, type UserRow } from '../accounts/users-repository.js';
import { AuthConnectError } from '../errors.js';
import type { Locale } from '../i18n/index.js';
import type { LoginSource, LoginThrottle } from '../login-throttle/login-throttle.js';
import type { MailingContext } from './mailing-context.js';
import { mailLink } from './send-link.js';

export type EmailChangeRequest = { outcome: 'sent'; email: string } | { outcome: 'failed' } | { outcome: 'paused'; retryAfterSeconds: number };

/**
 * A signed-in user asks to move their account to another address. The current password is checked
 * through the login throttle (a stolen access token must not be enough to take the account's address),
 * and nothing changes until the link sent to the new address is used (confirmEmail); the old address is
 * told then. The link, its mail and the audit row are one transaction.
 */
export async function requestEmailChange(
  ctx: MailingContext,
  throttle: LoginThrottle,
  user: UserRow,
  input: { newEmail: unknown; password: unknown },
  source: LoginSource,
  origin: Omit<ChangeOrigin, 'via'>,
  locale: Locale,
): Promise<EmailChangeRequest> {
  const email = normaliseEmail(input.newEmail);
  assertEmailNotDeceptive(email, ctx.config.auth.email);
  if (email === user.email) throw new AuthConnectError('INVALID_REQUEST', 'this is already the address of your account');
  const accounts: AccountsContext = { db: ctx.db, config: ctx.config };
  const checked = await verifyCurrentPassword(accounts, throttle, user, input.password, source);
  const audit = {
    event: 'email.change_requested',
    userId: user.id,
    actor: { kind: 'user', userId: user.id } as const,
    ip: origin.ip,
    userAgent: origin.userAgent,
  };
  if (checked.outcome !== 'passed') {
    await recordAudit(ctx.db, { ...audit, outcome: 'failure', ...(checked.outcome === 'paused' ? { details: { paused: true } } : {}) });
    return checked;
  }
  // registration tells anyone whether an address is taken, so saying it here to a user who knows their password reveals nothing new
  if (await findUserByEmail(ctx.db, email)) throw new UserExistsError();
  await ctx.db.transaction(async (db) => {
    await mailLink({ ...ctx, db }, user.id, 'change_email', email, locale);
    await recordAudit(db, { ...audit, details: { to: email } });
  });
  return { outcome: 'sent', email };
}
