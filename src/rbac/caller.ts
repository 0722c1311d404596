import { CLI_ACTOR, type Actor } from '../audit/actor.js';
import { AuthConnectError } from '../errors.js';

/**
 * Who asks for a change and what they may do: a user or machine client with the permissions of the token
 * they presented (never their role's name), or the operator at the CLI, who may do anything.
 */
export interface Caller {
  actor: Actor;
  permissions: readonly string[] | 'all';
}

export const CLI_CALLER: Caller = { actor: CLI_ACTOR, permissions: 'all' };

export class InsufficientPermissionsError extends AuthConnectError {
  constructor(message: string) {
    super('INSUFFICIENT_PERMISSIONS', message);
    this.name = 'InsufficientPermissionsError';
  }
}

/** The permissions of `wanted` that the caller does not hold. */
export function lacking(caller: Caller, wanted: readonly string[]): string[] {
  if (caller.permissions === 'all') return [];
  const held = new Set(caller.permissions);
  return [...new Set(wanted)].filter((permission) => !held.has(permission));
}

export function isSelf(caller: Caller, userId: string): boolean {
  return caller.actor.kind === 'user' && caller.actor.userId === userId;
}
