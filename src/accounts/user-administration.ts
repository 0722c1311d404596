import type { Knex } from 'knex';
import type { ChangeOrigin } from '../audit/actor.js';
import { recordAudit } from '../audit/audit-log.js';
import { AuthConnectError } from '../errors.js';
import { deleteGrantsOfAccount } from '../oidc/payloads-repository.js';
import { InsufficientPermissionsError, isSelf, lacking, type Caller } from '../rbac/caller.js';
import { assertRoleExists, permissionsOfRole } from '../rbac/roles.js';
import { endUserSessions } from '../sessions/sessions-service.js';
import { changeRole, insertAccount, prepareAccount, setAccountActive, UserNotFoundError, type AccountsContext } from './accounts-service.js';
import { findUserById, updateUser, type UserRow } from './users-repository.js';
import { sendResetLink } from '../email-links/password-reset.js';
import type { MailingContext } from '../email-links/mailing-context.js';
import type { Locale } from '../i18n/index.js';

export interface UserChange {
  role?: string;
  is_active?: boolean;
}

/**
 * Managing other users is bounded by what the caller holds: a caller may assign only roles whose
 * permissions it holds itself, may act only on users who hold nothing it lacks, and may not change its own
 * role or disable itself. Each change, its cascade (a disabled user's sessions and grants end) and its
 * audit row are one transaction: all of it happens, or none.
 */
export async function createUserAs(
  ctx: AccountsContext,
  caller: Caller,
  input: { email: unknown; password: unknown; role?: string },
  origin: ChangeOrigin,
): Promise<UserRow> {
  const role = input.role ?? ctx.config.auth.registration.default_role;
  assertMayAssign(ctx, caller, role);
  const prepared = await prepareAccount(ctx, { ...input, role });
  return ctx.db.transaction(async (db) => {
    const user = await insertAccount(db, prepared);
    await audit(db, caller, origin, 'user.created', user.id, { role });
    return user;
  });
}

export async function updateUserAs(ctx: AccountsContext, caller: Caller, userId: string, change: UserChange, origin: ChangeOrigin): Promise<UserRow> {
  return ctx.db.transaction(async (db) => {
    let user = await managedUser({ ...ctx, db }, caller, userId);
    if (change.role !== undefined && change.role !== user.role) {
      if (isSelf(caller, user.id)) throw new InsufficientPermissionsError('you cannot change your own role');
      assertMayAssign(ctx, caller, change.role);
      const from = user.role;
      user = await changeRole({ ...ctx, db }, user.id, change.role);
      // permissions taken away end every sign-in now, rather than at the next refresh
      const removed = permissionsOfRole(ctx.config.roles, from).filter((p) => !permissionsOfRole(ctx.config.roles, user.role).includes(p));
      const ended = removed.length ? await endEverySession({ ...ctx, db }, caller, user.id, 'role_changed') : 0;
      await audit(db, caller, origin, 'user.role_changed', user.id, { from, to: user.role, ...(removed.length ? { sessions_ended: ended } : {}) });
    }
    if (change.is_active !== undefined && change.is_active !== user.is_active) {
      if (isSelf(caller, user.id)) throw new AuthConnectError('INVALID_REQUEST', 'you cannot disable your own account');
      user = await setAccountActive({ ...ctx, db }, user.id, change.is_active);
      if (!change.is_active) await endEverySession({ ...ctx, db }, caller, user.id, 'user_disabled');
      await audit(db, caller, origin, change.is_active ? 'user.enabled' : 'user.disabled', user.id);
    }
    return user;
  });
}

/** Ends every session of a user and every grant, so all their refresh tokens fail at once. */
export async function endUserSessionsAs(ctx: AccountsContext, caller: Caller, userId: string, origin: ChangeOrigin): Promise<number> {
  return ctx.db.transaction(async (db) => {
    const user = await managedUser({ ...ctx, db }, caller, userId);
    const ended = await endEverySession({ ...ctx, db }, caller, user.id, 'ended_by_admin');
    await audit(db, caller, origin, 'user.sessions_ended', user.id, { sessions_ended: ended });
    return ended;
  });
}

/**
 * Mails a user a reset link (an operator helping someone locked out): the same link as "Forgot password?",
 * queued with its audit row; nothing about the account changes until the user uses it.
 */
export async function sendPasswordResetAs(ctx: MailingContext, caller: Caller, userId: string, origin: ChangeOrigin, locale: Locale): Promise<UserRow> {
  return ctx.db.transaction(async (db) => {
    const user = await managedUser({ ...ctx, db }, caller, userId);
    await sendResetLink({ ...ctx, db }, user, locale, { actor: caller.actor, ip: origin.ip, userAgent: origin.userAgent, via: origin.via });
    return user;
  });
}

/** Marks a user's address as confirmed without a link (an operator who knows it is theirs), audited. */
export async function markEmailVerifiedAs(ctx: AccountsContext, caller: Caller, userId: string, origin: ChangeOrigin): Promise<UserRow> {
  return ctx.db.transaction(async (db) => {
    const user = await managedUser({ ...ctx, db }, caller, userId);
    if (user.email_verified) return user;
    const marked = (await updateUser(db, user.id, { email_verified: true }))!;
    await audit(db, caller, origin, 'email.marked_verified', user.id, { email: user.email });
    return marked;
  });
}

/** The user, if it exists and the caller holds every permission the user holds. */
export async function managedUser(ctx: AccountsContext, caller: Caller, userId: string): Promise<UserRow> {
  const user = await findUserById(ctx.db, userId);
  if (!user) throw new UserNotFoundError(`with id ${userId}`);
  const missing = lacking(caller, permissionsOfRole(ctx.config.roles, user.role));
  if (missing.length) throw new InsufficientPermissionsError(`this user holds permissions you lack (${missing.join(', ')})`);
  return user;
}

function assertMayAssign(ctx: AccountsContext, caller: Caller, role: string): void {
  assertRoleExists(ctx.config.roles, role);
  const missing = lacking(caller, permissionsOfRole(ctx.config.roles, role));
  if (missing.length) throw new InsufficientPermissionsError(`the role ${role} has permissions you lack (${missing.join(', ')})`);
}

/** Sessions with their refresh tokens, browser sign-ins, and grants no session holds (third-party consents). */
async function endEverySession(ctx: AccountsContext, caller: Caller, userId: string, reason: string): Promise<number> {
  const ended = await endUserSessions(ctx, userId, reason, { actor: caller.actor });
  await deleteGrantsOfAccount(ctx.db, userId);
  return ended.length;
}

function audit(db: Knex, caller: Caller, origin: ChangeOrigin, event: string, userId: string, details: Record<string, unknown> = {}): Promise<void> {
  return recordAudit(db, { event, actor: caller.actor, userId, ip: origin.ip, userAgent: origin.userAgent, details: { via: origin.via, ...details } });
}
