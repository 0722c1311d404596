import type { Knex } from 'knex';
import { statement, write } from '../db/deferred-writes.js';
import type { ReadAlong } from '../db/read-along.js';
import { isUuid } from '../input/uuid.js';
import { secondFactorColumns, secondFactorCountsOf, type SecondFactorCounts } from '../mfa/second-factors-repository.js';

export interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  role: string;
  is_active: boolean;
  email_verified: boolean;
  /** Unused since the login throttle (migration 004); kept for older readers. */
  failed_login_count: number;
  last_failed_login_at: Date | null;
  locked_until: Date | null;
  last_login_at: Date | null;
  password_changed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export type UserPatch = Partial<Pick<UserRow, 'email' | 'role' | 'is_active' | 'password_hash' | 'password_changed_at' | 'last_login_at' | 'email_verified'>>;

/** True when Postgres refused a write because of a unique index. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23505';
}

export async function insertUser(db: Knex, user: { email: string; passwordHash: string; role: string }): Promise<UserRow> {
  const [row] = await db('users')
    .insert({ email: user.email, password_hash: user.passwordHash, role: user.role, password_changed_at: db.fn.now() })
    .returning('*');
  return row!; // insert … returning answers the row or throws
}

export async function findUserById(db: Knex, id: string): Promise<UserRow | undefined> {
  if (!isUuid(id)) return undefined;
  return await db('users').where({ id }).first();
}

/** `email` must already be normalised (see normaliseEmail). */
export async function findUserByEmail(db: Knex, email: string): Promise<UserRow | undefined> {
  return await db('users').where({ email }).first();
}

export interface UserWithSecondFactors {
  user: UserRow;
  secondFactors: SecondFactorCounts;
}

/**
 * The user with this email and what second factors they have, as a read another statement carries: a
 * password sign-in reads it in the statement that takes its throttle token. `email` must be normalised.
 */
export function userWithSecondFactorsByEmail(email: string): ReadAlong<UserWithSecondFactors | undefined> {
  return {
    sql: `select u.*, ${secondFactorColumns('u.id')} from users u where u.email = ?`,
    bindings: [email],
    map(row) {
      if (!row) return undefined;
      const { mfa_totp, mfa_passkeys, mfa_recovery_codes_left, ...user } = row;
      return { user: user as unknown as UserRow, secondFactors: secondFactorCountsOf({ mfa_totp, mfa_passkeys, mfa_recovery_codes_left }) };
    },
  };
}

/** The email address of each of `ids` that names a user. */
export async function findEmailsByIds(db: Knex, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows: { id: string; email: string }[] = await db('users')
    .whereIn('id', [...new Set(ids)])
    .select('id', 'email');
  return new Map(rows.map((row) => [row.id, row.email]));
}

export interface UserListQuery {
  search?: string;
  role?: string;
  limit: number;
  offset: number;
}

export async function listUsers(db: Knex, query: UserListQuery): Promise<{ users: UserRow[]; total: number }> {
  const filtered = db('users').modify((q) => {
    if (query.search) q.whereILike('email', `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    if (query.role) q.where('role', query.role);
  });
  const [users, [{ total }]] = await Promise.all([
    filtered.clone().orderBy('created_at').orderBy('id').limit(query.limit).offset(query.offset),
    filtered.clone().select(db.raw('count(*)::int as total')) as unknown as Promise<[{ total: number }]>,
  ]);
  return { users, total };
}

/** The time of a successful sign-in; deferrable (src/db/deferred-writes.ts), since nothing reads it back at once. */
export async function recordLastLogin(db: Knex, id: string, at: Date): Promise<void> {
  await write(db, statement('update users set last_login_at = ?::timestamptz, updated_at = now() where id = ?::uuid', [at, id]));
}

export async function updateUser(db: Knex, id: string, patch: UserPatch): Promise<UserRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db('users')
    .where({ id })
    .update({ ...patch, updated_at: db.fn.now() })
    .returning('*');
  return row;
}
