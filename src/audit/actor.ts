/** Who made a change, as the audit log records it. */
export type Actor = { kind: 'user'; userId: string } | { kind: 'client'; clientId: string } | { kind: 'cli' } | { kind: 'system' };

export const CLI_ACTOR: Actor = { kind: 'cli' };

/** The audit_events columns that name an actor. */
export function actorColumns(actor: Actor | undefined) {
  return {
    actor_type: actor?.kind ?? null,
    actor_user_id: actor?.kind === 'user' ? actor.userId : null,
    actor_client_id: actor?.kind === 'client' ? actor.clientId : null,
  };
}

/** Where a change came from, for its audit row: the front end and, over HTTP, the client's address. */
export interface ChangeOrigin {
  /** 'startup': the server itself at start (signing keys imported or generated on an empty database). */
  via: 'admin_api' | 'account_api' | 'account_page' | 'console' | 'login_page' | 'cli' | 'startup';
  ip?: string | null;
  userAgent?: string | null;
}

/** Where a sign-in came from, for its audit row: the JSON API or the login page, the app, the client's address. */
export interface SignInOrigin {
  via: 'api' | 'page';
  clientId: string | null;
  userAgent?: string | null;
}
