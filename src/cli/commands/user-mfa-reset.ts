import { resolveUser } from '../../accounts/accounts-service.js';
import { secondFactorNotice } from '../../email-links/sign-in-notices.js';
import { resetSecondFactorsAs } from '../../mfa/mfa-administration.js';
import { CLI_CALLER } from '../../rbac/caller.js';
import { UsageError, type Command } from '../command.js';

/** For a user who lost their authenticator and recovery codes: they sign in with the password again (and enrol again when the policy demands). */
export const userMfaReset: Command = {
  name: 'user mfa-reset',
  summary: 'remove every second factor of a user (authenticator app, passkeys, recovery codes); audited, shows no secret',
  usage: '(--email E | --id ID)',
  options: { email: { type: 'string' }, id: { type: 'string' } },
  async run(ctx, options) {
    if (typeof options.email === 'string' && typeof options.id === 'string') throw new UsageError('give --email or --id, not both');
    const reference = options.email ?? options.id;
    if (typeof reference !== 'string') throw new UsageError('--email (or --id) is required');
    // the user is told by mail, queued with the reset; a running server sends it
    const accounts = { ...(await ctx.accounts()), onSecondFactorChange: secondFactorNotice(await ctx.mailing()) };
    const user = await resolveUser(accounts, reference);
    const reset = await resetSecondFactorsAs(accounts, CLI_CALLER, user.id, { via: 'cli' });
    const removed = [
      reset.totp_removed ? 'the authenticator app' : undefined,
      `${reset.passkeys_removed} passkey(s)`,
      `${reset.recovery_codes_removed} recovery code(s)`,
    ]
      .filter(Boolean)
      .join(', ');
    ctx.print(`${user.email}: removed ${removed}`, { user_id: user.id, email: user.email, ...reset });
  },
};
