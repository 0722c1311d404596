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

const everyPermission = new WeakMap<RolesConfig, readonly string[]>();

/**
 * Every permission any role grants: the scopes of the API resource. Computed once per loaded roles
 * configuration (it never changes while it is loaded): token requests ask for it every time.
 */
export function allPermissions(roles: RolesConfig): readonly string[] {
  let every = everyPermission.get(roles);
  if (!every) {
    every = Object.freeze([...new Set(Object.values(roles.roles).flatMap((role) => role.permissions))]);
    everyPermission.set(roles, every);
  }
  return every;
}

const knownPermissionSets = new WeakMap<RolesConfig, ReadonlySet<string>>();

/** allPermissions as a set, for "is this scope a permission?": also built once per roles configuration. */
export function isPermissionOf(roles: RolesConfig): (scope: string) => boolean {
  let known = knownPermissionSets.get(roles);
  if (!known) {
    known = new Set(allPermissions(roles));
    knownPermissionSets.set(roles, known);
  }
  const set = known;
  return (scope) => set.has(scope);
}
