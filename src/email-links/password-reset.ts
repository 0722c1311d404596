import type { ChangeOrigin } from '../audit/actor.js';
import { recordAudit } from '../audit/audit-log.js';
import { normaliseEmail } from '../accounts/email.js';
import { hashPassword } from '../accounts/password-hashing.js';
import { assertPasswordPolicy } from '../accounts/password-policy.js';
import { findUserByEmail, findUserById, updateUser, type UserRow } from '../accounts/users-repository.js';
import type { Locale } from '../i18n/index.js';
import { noticePasswordChanged } from '../mail/security-notices.js';
import { deleteGrantsOfAccount } from '../oidc/payloads-repository.js';
import { endUserSessions } from '../sessions/sessions-service.js';
import type { Actor } from '../audit/actor.js';
import { consumeEmailToken, findUsableEmailToken, voidEmailTokens } from './email-tokens-repository.js';
import { hashEmailToken } from './email-tokens.js';
import { mailLink } from './send-link.js';
import { InvalidEmailTokenError, type MailingContext } from './mailing-context.js';

/** Queues a reset link to the user's address in `ctx.db` (the caller's transaction), with its audit row. */
export async function sendResetLink(
  ctx: MailingContext,
  user: Pick<UserRow, 'id' | 'email'>,
  locale: Locale,
  audit: { actor: Actor } & Omit<ChangeOrigin, 'via'> & { via?: string },
): Promise<void> {
  await mailLink(ctx, user.id, 'password_reset', user.email, locale);
  await recordAudit(ctx.db, {
    event: 'password_reset.requested',
    userId: user.id,
    actor: audit.actor,
    ip: audit.ip,
    userAgent: audit.userAgent,
    ...(audit.via ? { details: { via: audit.via } } : {}),
  });
}

/**
 * "Forgot password?": a reset link goes to an active account with this address, within the address's
 * budget of links. Nothing is returned: the route answers the same whether or not a mail went out, and
 * runs this after answering, so neither the answer nor its timing depends on the account.
 */
export async function requestPasswordReset(ctx: MailingContext, email: unknown, locale: Locale, origin: Omit<ChangeOrigin, 'via'>): Promise<void> {
  let address: string;
  try {
    address = normaliseEmail(email);
  } catch {
    return;
  }
  if (ctx.linkBudget && !(await ctx.linkBudget(address))) {
    await recordAudit(ctx.db, {
      event: 'password_reset.requested',
      outcome: 'failure',
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { email: address, reason: 'address_budget' },
    });
    return;
  }
  const user = await findUserByEmail(ctx.db, address);
  if (!user?.is_active) {
    const reason = user ? 'disabled' : 'no_account';
    await recordAudit(ctx.db, {
      event: 'password_reset.requested',
      outcome: 'failure',
      userId: user?.id ?? null,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { email: address, reason },
    });
    return;
  }
  await ctx.db.transaction((db) => sendResetLink({ ...ctx, db }, user, locale, { actor: { kind: 'user', userId: user.id }, ...origin }));
}

/** The address a reset link is for, if it still works (the page shows it above the form). */
export async function peekResetLink(ctx: Pick<MailingContext, 'db'>, token: unknown): Promise<{ email: string } | undefined> {
  const hash = hashEmailToken(token);
  const row = hash ? await findUsableEmailToken(ctx.db, hash, ['password_reset']) : undefined;
  return row ? { email: row.email } : undefined;
}

/**
 * Sets a new password through a reset link. The policy is checked before the link is used (a weak choice
 * does not spend it); then using the link, the new hash, the end of every session and grant of the user,
 * the other reset links, the audit row and the notice are one transaction. Receiving the link proves the
 * address, so it counts as confirmed. A second factor, when the user has one, is still asked at sign-in.
 */
export async function resetPassword(
  ctx: MailingContext,
  input: { token: unknown; password: unknown },
  origin: Omit<ChangeOrigin, 'via'>,
  locale: Locale,
): Promise<{ user: UserRow; sessionsEnded: number }> {
  const hash = hashEmailToken(input.token);
  if (!hash || !(await findUsableEmailToken(ctx.db, hash, ['password_reset']))) throw new InvalidEmailTokenError();
  assertPasswordPolicy(input.password, ctx.config.auth.password);
  const passwordHash = await hashPassword(input.password, ctx.config.auth.password.argon2);
  return ctx.db.transaction(async (db) => {
    const row = await consumeEmailToken(db, hash, ['password_reset']);
    const user = row ? await findUserById(db, row.user_id) : undefined;
    if (!row || !user?.is_active || user.email !== row.email) throw new InvalidEmailTokenError();
    const actor: Actor = { kind: 'user', userId: user.id };
    const changed = (await updateUser(db, user.id, { password_hash: passwordHash, password_changed_at: new Date(), email_verified: true }))!;
    await voidEmailTokens(db, user.id, ['password_reset']);
    const ended = await endUserSessions({ db, config: ctx.config }, user.id, 'password_reset', { actor });
    await deleteGrantsOfAccount(db, user.id);
    await recordAudit(db, {
      event: 'password.reset',
      userId: user.id,
      actor,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: { sessions_ended: ended.length },
    });
    await noticePasswordChanged(ctx.outbox, db, changed, changed.password_changed_at ?? new Date(), locale);
    return { user: changed, sessionsEnded: ended.length };
  });
}
