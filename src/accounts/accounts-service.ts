import type { Knex } from 'knex';
import type { ChangeOrigin, SignInOrigin } from '../audit/actor.js';
import { recordAudit } from '../audit/audit-log.js';
import { AuthConnectError } from '../errors.js';
import type { Config } from '../config/types.js';
import { assertRoleExists } from '../rbac/roles.js';
import { assertEmailNotDeceptive } from './deceptive-email.js';
import { normaliseEmail } from './email.js';
import { assertPasswordPolicy } from './password-policy.js';
import { hashPassword, refuseWhenPasswordChecksFull, verifyAgainstDummy, verifyPassword } from './password-hashing.js';
import type { LoginSource, LoginThrottle } from '../login-throttle/login-throttle.js';
import { endUserSessions } from '../sessions/sessions-service.js';
import {
  findEmailsByIds,
  findUserByEmail,
  findUserById,
  insertUser,
  isUniqueViolation,
  listUsers,
  recordLastLogin,
  updateUser,
  userWithSecondFactorsByEmail,
  type UserListQuery,
  type UserPatch,
  type UserRow,
  type UserWithSecondFactors,
} from './users-repository.js';
import type { SecondFactorNotifier } from '../mfa/second-factor-notices.js';

/** The row type this service hands out: front ends (routes, pages, CLI) take it from here, never from the repository. */
export type { UserListQuery, UserRow };

export interface AccountsContext {
  db: Knex;
  config: Pick<Config, 'auth' | 'roles'>;
  /** Told of a successful sign-in from a device the account did not know (the notice mail); unset: nobody is told. */
  onNewDeviceSignIn?: (user: UserRow, source: { address: string; userAgent: string | null | undefined }) => Promise<void>;
  /** Tells a user that their second factors changed (an operator's reset), in the change's transaction. */
  onSecondFactorChange?: SecondFactorNotifier;
}

export class UserExistsError extends AuthConnectError {
  constructor() {
    super('USER_EXISTS', 'an account with this email already exists');
    this.name = 'UserExistsError';
  }
}

export class UserNotFoundError extends AuthConnectError {
  constructor(reference: string) {
    super('USER_NOT_FOUND', `no user ${reference}`);
    this.name = 'UserNotFoundError';
  }
}

export async function createAccount(ctx: AccountsContext, input: { email: unknown; password: unknown; role?: string }): Promise<UserRow> {
  return insertAccount(ctx.db, await prepareAccount(ctx, input));
}

/** Self-registration: the account with the default role and its audit row, together. */
export async function registerAccount(
  ctx: AccountsContext,
  input: { email: unknown; password: unknown },
  origin: Omit<ChangeOrigin, 'via'>,
  within?: InTransaction,
): Promise<UserRow> {
  const account = await prepareAccount(ctx, input);
  return ctx.db.transaction(async (trx) => {
    const user = await insertAccount(trx, account);
    await recordAudit(trx, { event: 'user.registered', userId: user.id, actor: { kind: 'user', userId: user.id }, ip: origin.ip, userAgent: origin.userAgent });
    await within?.(trx, user);
    return user;
  });
}

/** What a caller adds to a change's transaction (the mail it causes): it commits with the change, or neither does. */
export type InTransaction = (trx: Knex, user: UserRow) => Promise<void>;

export interface PreparedAccount {
  email: string;
  passwordHash: string;
  role: string;
}

/** Checks a new account's email, role and password and hashes the password: the slow part, kept out of transactions. */
export async function prepareAccount(ctx: AccountsContext, input: { email: unknown; password: unknown; role?: string }): Promise<PreparedAccount> {
  const email = normaliseEmail(input.email);
  assertEmailNotDeceptive(email, ctx.config.auth.email);
  const role = input.role ?? ctx.config.auth.registration.default_role;
  assertRoleExists(ctx.config.roles, role);
  assertPasswordPolicy(input.password, ctx.config.auth.password);
  return { email, role, passwordHash: await hashPassword(input.password, ctx.config.auth.password.argon2) };
}

export async function insertAccount(db: Knex, account: PreparedAccount): Promise<UserRow> {
  try {
    return await insertUser(db, account);
  } catch (error) {
    if (isUniqueViolation(error)) throw new UserExistsError();
    throw error;
  }
}

export type SignIn =
  /** secondFactors: what the user has, read with the account, for the step after the password */
  | { outcome: 'signed_in'; user: UserRow; secondFactors: UserWithSecondFactors['secondFactors']; deviceToken: string; replacedDeviceToken?: string }
  /** the password was right, but registration.require_verified_email is on and the address is not confirmed */
  | { outcome: 'unverified'; user: UserRow }
  | { outcome: 'failed' }
  | { outcome: 'paused'; retryAfterSeconds: number };

export type PasswordChange =
  | { outcome: 'changed'; user: UserRow; sessionsEnded: number }
  | { outcome: 'failed' }
  | { outcome: 'paused'; retryAfterSeconds: number };

/**
 * Checks an email and password through the login throttle. Unknown email, wrong password and disabled
 * account all fail after one argon2 verification, so neither the answer nor its timing tells them apart;
 * a paused source gets `paused` before any check, the same for every account. A hash made with weaker
 * settings than configured is re-made now that the password is known. Every attempt is audited: a failure
 * with the email as typed (bounded), a success with the user.
 */
export async function authenticate(
  ctx: AccountsContext,
  throttle: LoginThrottle,
  credentials: { email: unknown; password: unknown },
  source: LoginSource,
  origin: SignInOrigin,
): Promise<SignIn> {
  refuseWhenPasswordChecksFull();
  const email = throttleEmail(credentials.email);
  // the account and its second factors are read in the statement that takes the throttle's token
  const account = isEmail(email) ? userWithSecondFactorsByEmail(email) : undefined;
  const checked = await throttle.check(email, source, (read) => verifyCredentials(ctx, read, credentials.password), account);
  const audit = { event: 'login', clientId: origin.clientId, ip: source.address, userAgent: origin.userAgent };
  if (checked.outcome !== 'passed') {
    const paused = checked.outcome === 'paused' ? { paused: true } : {};
    await recordAudit(ctx.db, { ...audit, outcome: 'failure', details: { email: email.slice(0, 254), via: origin.via, ...paused } });
    return checked;
  }
  const { user, secondFactors } = checked.value;
  if (ctx.config.auth.registration.require_verified_email && !user.email_verified) {
    // told only to someone who knows the password, so it reveals nothing to a stranger
    await recordAudit(ctx.db, { ...audit, outcome: 'failure', userId: user.id, details: { via: origin.via, reason: 'email_not_verified' } });
    return { outcome: 'unverified', user };
  }
  await recordAudit(ctx.db, { ...audit, userId: user.id, details: { via: origin.via } });
  // no valid device token was presented (replacedDeviceToken is the one that was): a device new to this account
  if (!checked.replacedDeviceToken) await ctx.onNewDeviceSignIn?.(user, { address: source.address, userAgent: origin.userAgent });
  return { outcome: 'signed_in', user, secondFactors, deviceToken: checked.deviceToken, replacedDeviceToken: checked.replacedDeviceToken };
}

/**
 * Changes a signed-in user's password after checking the current one through the same throttle as a
 * login: a stolen access token gives no more guesses than the login page. The new hash, the end of every
 * other session of the user (`source.sessionId` is the one asking and stays) and the audit row are one
 * transaction; a failed check is audited too.
 */
export async function changePassword(
  ctx: AccountsContext,
  throttle: LoginThrottle,
  user: UserRow,
  passwords: { current: unknown; next: unknown },
  source: LoginSource,
  origin: Omit<ChangeOrigin, 'via'>,
  within?: InTransaction,
): Promise<PasswordChange> {
  assertPasswordPolicy(passwords.next, ctx.config.auth.password);
  const checked = await verifyCurrentPassword(ctx, throttle, user, passwords.current, source);
  const audit = { event: 'password.change', userId: user.id, actor: { kind: 'user', userId: user.id } as const, ip: origin.ip, userAgent: origin.userAgent };
  if (checked.outcome !== 'passed') {
    await recordAudit(ctx.db, { ...audit, outcome: 'failure', ...(checked.outcome === 'paused' ? { details: { paused: true } } : {}) });
    return checked;
  }
  const passwordHash = await hashPassword(passwords.next as string, ctx.config.auth.password.argon2);
  return ctx.db.transaction(async (trx): Promise<PasswordChange> => {
    const changed = await updateUser(trx, user.id, { password_hash: passwordHash, password_changed_at: new Date() });
    if (!changed) return { outcome: 'failed' };
    const ended = await endUserSessions({ db: trx, config: ctx.config }, user.id, 'password_changed', { actor: audit.actor, keepSessionId: source.sessionId });
    await recordAudit(trx, { ...audit, details: { sessions_ended: ended.length } });
    await within?.(trx, changed);
    return { outcome: 'changed', user: changed, sessionsEnded: ended.length };
  });
}

/**
 * A signed-in user's current password, checked through the login throttle before a sensitive change
 * (password, email): a stolen access token gives no more guesses than the login page.
 */
export async function verifyCurrentPassword(ctx: AccountsContext, throttle: LoginThrottle, user: UserRow, password: unknown, source: LoginSource) {
  refuseWhenPasswordChecksFull();
  return throttle.check(user.email, source, async () => {
    const candidate = boundedPassword(ctx, password);
    if (candidate === undefined) return verifyAgainstDummy('', ctx.config.auth.password.argon2).then(() => undefined);
    return checkPassword(ctx, user, candidate);
  });
}

/** The account key the throttle and device tokens use: the normalised email, or the input as typed when it is none. */
function throttleEmail(input: unknown): string {
  try {
    return normaliseEmail(input);
  } catch {
    return String(input ?? '')
      .trim()
      .toLowerCase()
      .slice(0, 1024);
  }
}

function isEmail(email: string): boolean {
  try {
    return normaliseEmail(email) === email;
  } catch {
    return false;
  }
}

function boundedPassword(ctx: AccountsContext, password: unknown): string | undefined {
  return typeof password === 'string' && [...password].length <= ctx.config.auth.password.max_length ? password : undefined;
}

/** The unthrottled check; only ever called from inside throttle.check. */
async function verifyCredentials(
  ctx: AccountsContext,
  account: UserWithSecondFactors | undefined,
  password: unknown,
): Promise<UserWithSecondFactors | undefined> {
  const candidate = boundedPassword(ctx, password);
  if (!account || candidate === undefined) {
    await verifyAgainstDummy(candidate ?? '', ctx.config.auth.password.argon2);
    return undefined;
  }
  const user = await checkPassword(ctx, account.user, candidate);
  return user && { user, secondFactors: account.secondFactors };
}

/** The password check for a known user, with rehashing; a disabled user fails after the same work. */
async function checkPassword(ctx: AccountsContext, user: UserRow, candidate: string): Promise<UserRow | undefined> {
  const settings = ctx.config.auth.password.argon2;
  const { valid, needsRehash } = await verifyPassword(user.password_hash, candidate, settings);
  if (!valid || !user.is_active) return undefined;
  const lastLoginAt = new Date();
  if (!needsRehash) {
    await recordLastLogin(ctx.db, user.id, lastLoginAt);
    return { ...user, last_login_at: lastLoginAt };
  }
  const patch: UserPatch = { last_login_at: lastLoginAt, password_hash: await hashPassword(candidate, settings) };
  return (await updateUser(ctx.db, user.id, patch)) ?? user;
}

/** The user with this id, or undefined (a page that shows the signed-in user, if any). */
export function findUser(ctx: Pick<AccountsContext, 'db'>, userId: string): Promise<UserRow | undefined> {
  return findUserById(ctx.db, userId);
}

/** The user with this id; UserNotFoundError (404) when there is none. */
export async function getUser(ctx: Pick<AccountsContext, 'db'>, userId: string): Promise<UserRow> {
  const user = await findUserById(ctx.db, userId);
  if (!user) throw new UserNotFoundError(`with id ${userId}`);
  return user;
}

/** A page of users (search in the email, filter by role) and how many match in all. */
/** Who the user ids of a listing (sessions, API keys) are, by email, for pages that show them. */
export function emailsOf(ctx: Pick<AccountsContext, 'db'>, userIds: string[]): Promise<Map<string, string>> {
  return findEmailsByIds(ctx.db, userIds);
}

export function listAccounts(ctx: Pick<AccountsContext, 'db'>, query: UserListQuery): Promise<{ users: UserRow[]; total: number }> {
  return listUsers(ctx.db, query);
}

/** Finds a user by id or by email (as an operator would type either). */
export async function resolveUser(ctx: AccountsContext, reference: string): Promise<UserRow> {
  const user = reference.includes('@') ? await findUserByEmail(ctx.db, safeNormalise(reference)) : await findUserById(ctx.db, reference);
  if (!user) throw new UserNotFoundError(reference.includes('@') ? `with email ${reference}` : `with id ${reference}`);
  return user;
}

export async function changeRole(ctx: AccountsContext, userId: string, role: string): Promise<UserRow> {
  assertRoleExists(ctx.config.roles, role);
  const user = await updateUser(ctx.db, userId, { role });
  if (!user) throw new UserNotFoundError(`with id ${userId}`);
  return user;
}

export async function setAccountActive(ctx: AccountsContext, userId: string, active: boolean): Promise<UserRow> {
  const user = await updateUser(ctx.db, userId, { is_active: active });
  if (!user) throw new UserNotFoundError(`with id ${userId}`);
  return user;
}

function safeNormalise(email: string): string {
  try {
    return normaliseEmail(email);
  } catch {
    return email;
  }
}

/** The fields of a user that may leave the server. */
export function publicUser(user: UserRow) {
  return {
    id: user.id,
    email: user.email,
    email_verified: user.email_verified,
    role: user.role,
    is_active: user.is_active,
    created_at: user.created_at.toISOString(),
    updated_at: user.updated_at.toISOString(),
  };
}
