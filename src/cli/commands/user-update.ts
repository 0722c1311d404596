import { changeRole, publicUser, resolveUser, setAccountActive } from '../../accounts/accounts-service.js';
import { recordAudit } from '../../audit/audit-log.js';
import { endUserSessions } from '../../sessions/sessions-service.js';
import { UsageError, type Command, type OptionSpec } from '../command.js';

const target: OptionSpec = { email: { type: 'string' }, id: { type: 'string' } };

function reference(options: Record<string, unknown>): string {
  if (typeof options.email === 'string' && typeof options.id === 'string') throw new UsageError('give --email or --id, not both');
  const value = options.email ?? options.id;
  if (typeof value !== 'string') throw new UsageError('--email (or --id) is required');
  return value;
}

export const userSetRole: Command = {
  name: 'user set-role',
  summary: "change a user's role (shows in their next token)",
  usage: '(--email E | --id ID) --role R',
  options: { ...target, role: { type: 'string' } },
  async run(ctx, options) {
    if (typeof options.role !== 'string') throw new UsageError('--role is required');
    const accounts = await ctx.accounts();
    const before = await resolveUser(accounts, reference(options));
    const user = await changeRole(accounts, before.id, options.role);
    await recordAudit(accounts.db, { event: 'user.role_changed', userId: user.id, details: { via: 'cli', from: before.role, to: user.role } });
    ctx.print(`${user.email} now has role ${user.role}`, publicUser(user));
  },
};

function activation(active: boolean): Command {
  return {
    name: active ? 'user enable' : 'user disable',
    summary: active ? 'let a disabled user log in again' : 'stop a user from logging in; their sessions and browser sign-ins end',
    usage: '(--email E | --id ID)',
    options: target,
    async run(ctx, options) {
      const accounts = await ctx.accounts();
      const user = await setAccountActive(accounts, (await resolveUser(accounts, reference(options))).id, active);
      // as the admin API does: refresh tokens and browser sign-ins end now, not at their next use
      if (!active) await endUserSessions(accounts, user.id, 'user_disabled');
      await recordAudit(accounts.db, { event: active ? 'user.enabled' : 'user.disabled', userId: user.id, details: { via: 'cli' } });
      ctx.print(`${user.email} is ${active ? 'enabled' : 'disabled'}`, publicUser(user));
    },
  };
}

export const userDisable = activation(false);
export const userEnable = activation(true);
