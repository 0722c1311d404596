import type { Knex } from 'knex';
import type { Account, FindAccount } from 'oidc-provider';
import { findUserById, type UserRow } from '../accounts/users-repository.js';
import type { RolesConfig } from '../config/types.js';
import { permissionsOfRole } from '../rbac/roles.js';
import { withProviderErrors } from './database-unavailable.js';

export interface UserAccount extends Account {
  user: UserRow;
}

/**
 * oidc-provider's account lookup. A disabled or deleted user has no account: they cannot log in, and
 * their refresh tokens fail with invalid_grant at the next use.
 */
export function accountFinder(db: Knex, roles: RolesConfig): FindAccount {
  return async (_ctx, sub) => {
    const user = await withProviderErrors(() => findUserById(db, sub));
    if (!user || !user.is_active) return undefined;
    return accountOf(user, roles);
  };
}

export function accountOf(user: UserRow, roles: RolesConfig): UserAccount {
  return {
    accountId: user.id,
    user,
    claims: () => ({
      sub: user.id,
      email: user.email,
      email_verified: user.email_verified,
      roles: [user.role],
      permissions: permissionsOfRole(roles, user.role),
    }),
  };
}
