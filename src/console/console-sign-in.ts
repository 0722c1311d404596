import type { Context, Next } from 'koa';
import type { AccountsContext } from '../accounts/accounts-service.js';
import { firstPartySignIn, type SignedInState } from '../interactions/first-party-sign-in.js';
import type { RequestHandler } from '../oidc/call-token-endpoint.js';
import { CONSOLE_CLIENT_ID, consoleCallback } from '../oidc/console-client.js';
import type { Caller } from '../rbac/caller.js';
import { permissionsOfRole } from '../rbac/roles.js';

export interface ConsoleState extends SignedInState {
  /** The operator as the services see them: their current role's permissions, as a first-party token carries. */
  caller: Caller;
}

/**
 * The console signs in as its own built-in client (code flow and PKCE through our login, so the second
 * factor and the MFA policy apply), with a session cookie of its own under /console. Each request reads
 * the session and the user's current role again, so a disabled operator, an ended session or a role taken
 * away stops the console at once; the permissions are the role's, narrowed nowhere further because a
 * first-party token carries all the user holds (as the admin API's managementCaller computes it).
 */
export function consoleSignIn(deps: { accounts: AccountsContext; providerHandler: RequestHandler; issuer: string }) {
  const roles = deps.accounts.config.roles;
  const signIn = firstPartySignIn(deps, { clientId: CONSOLE_CLIENT_ID, callback: consoleCallback(deps.issuer), path: '/console', cookie: 'ac_console' });
  return {
    ...signIn,
    async requireSignIn(ctx: Context, next: Next): Promise<void> {
      await signIn.requireSignIn(ctx, async () => {
        const state = ctx.state as ConsoleState;
        state.caller = { actor: { kind: 'user', userId: state.user.id }, permissions: permissionsOfRole(roles, state.user.role) };
        await next();
      });
    },
  };
}
