import type { Knex } from 'knex';
import { AuthConnectError } from '../errors.js';
import type { Config } from '../config/types.js';
import { assertRoleExists } from '../rbac/roles.js';
import { assertEmailNotDeceptive } from './deceptive-email.js';
import { normaliseEmail } from './email.js';
import { assertPasswordPolicy } from './password-policy.js';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './password-hashing.js';
import { findUserByEmail, findUserById, insertUser, isUniqueViolation, recordFailedLogin, updateUser, type UserPatch, type UserRow } from './users-repository.js';

export interface AccountsContext {
  db: Knex;
  config: Pick<Config, 'auth' | 'roles'>;
}

export class UserExistsError extends AuthConnectError {
  constructor() {
    super('USER_EXISTS', 'an account with this email already exists', 409);
    this.name = 'UserExistsError';
  }
}

export class UserNotFoundError extends AuthConnectError {
  constructor(reference: string) {
    super('USER_NOT_FOUND', `no user ${reference}`, 404);
    this.name = 'UserNotFoundError';
  }
}

export async function createAccount(ctx: AccountsContext, input: { email: unknown; password: unknown; role?: string }): Promise<UserRow> {
  const email = normaliseEmail(input.email);
  assertEmailNotDeceptive(email, ctx.config.auth.email);
  const role = input.role ?? ctx.config.auth.registration.default_role;
  assertRoleExists(ctx.config.roles, role);
  assertPasswordPolicy(input.password, ctx.config.auth.password);
  const passwordHash = await hashPassword(input.password, ctx.config.auth.password.argon2);
  try {
    return await insertUser(ctx.db, { email, passwordHash, role });
  } catch (error) {
    if (isUniqueViolation(error)) throw new UserExistsError();
    throw error;
  }
}

/**
 * Checks an email and password. Unknown email, wrong password, disabled and locked account all return
 * undefined after one argon2 verification, so neither the answer nor its timing tells them apart.
 * Wrong passwords count towards a temporary lock (config lockout); a success clears the count, and a
 * hash made with weaker settings than configured is re-made now that the password is known.
 */
export async function authenticate(ctx: AccountsContext, emailInput: unknown, password: unknown): Promise<UserRow | undefined> {
  const settings = ctx.config.auth.password.argon2;
  const candidate = typeof password === 'string' && [...password].length <= ctx.config.auth.password.max_length ? password : undefined;
  let email: string | undefined;
  try {
    email = normaliseEmail(emailInput);
  } catch {
    email = undefined;
  }
  const user = email ? await findUserByEmail(ctx.db, email) : undefined;
  if (!user || candidate === undefined || (user.locked_until && user.locked_until > new Date())) {
    await verifyAgainstDummy(candidate ?? '', settings);
    return undefined;
  }
  return checkPassword(ctx, user, candidate);
}

/** The password check for a known user, with lockout counting and rehashing. */
export async function checkPassword(ctx: AccountsContext, user: UserRow, candidate: string): Promise<UserRow | undefined> {
  const settings = ctx.config.auth.password.argon2;
  const { valid, needsRehash } = await verifyPassword(user.password_hash, candidate, settings);
  if (!valid) {
    await recordFailedLogin(ctx.db, user.id, ctx.config.auth.lockout);
    return undefined;
  }
  if (!user.is_active) return undefined;
  const patch: UserPatch = { last_login_at: new Date(), ...(user.failed_login_count ? { failed_login_count: 0, locked_until: null } : {}) };
  if (needsRehash) patch.password_hash = await hashPassword(candidate, settings);
  return (await updateUser(ctx.db, user.id, patch)) ?? user;
}

export async function changePassword(ctx: AccountsContext, user: UserRow, currentPassword: unknown, newPassword: unknown): Promise<UserRow | undefined> {
  if (typeof currentPassword !== 'string' || [...currentPassword].length > ctx.config.auth.password.max_length) {
    await verifyAgainstDummy('', ctx.config.auth.password.argon2);
    return undefined;
  }
  assertPasswordPolicy(newPassword, ctx.config.auth.password);
  if (!(await checkPassword(ctx, user, currentPassword))) return undefined;
  const passwordHash = await hashPassword(newPassword, ctx.config.auth.password.argon2);
  return updateUser(ctx.db, user.id, { password_hash: passwordHash, password_changed_at: new Date() });
}

/** Finds a user by id or by email (as an operator would type either). */
export async function resolveUser(ctx: AccountsContext, reference: string): Promise<UserRow> {
  const user = reference.includes('@')
    ? await findUserByEmail(ctx.db, safeNormalise(reference))
    : await findUserById(ctx.db, reference);
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
    role: user.role,
    is_active: user.is_active,
    created_at: user.created_at.toISOString(),
    updated_at: user.updated_at.toISOString(),
  };
}
