import { AuthConnectError } from '../errors.js';
import type { RolesConfig } from '../config/types.js';

export class UnknownRoleError extends AuthConnectError {
  constructor(role: string, roles: RolesConfig) {
    super('UNKNOWN_ROLE', `role "${role}" does not exist; roles: ${Object.keys(roles.roles).join(', ')}`);
    this.name = 'UnknownRoleError';
  }
}

export function assertRoleExists(roles: RolesConfig, role: string): void {
  if (!Object.hasOwn(roles.roles, role)) throw new UnknownRoleError(role, roles);
}

/** The permissions a role grants; an unknown role (e.g. removed from roles.json) grants nothing. */
export function permissionsOfRole(roles: RolesConfig, role: string): string[] {
  return Object.hasOwn(roles.roles, role) ? [...roles.roles[role]!.permissions] : [];
}

/** Every permission any role grants: the scopes of the API resource. */
export function allPermissions(roles: RolesConfig): string[] {
  return [...new Set(Object.values(roles.roles).flatMap((role) => role.permissions))];
}
